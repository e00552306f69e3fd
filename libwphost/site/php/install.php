<?php
/**
 * libwphost: install WordPress into the current directory with WordPress's own
 * installer functions (no WP-CLI).
 *
 * Run as the site's user, with the docroot (ABSPATH) as the current directory:
 *
 *     php8.2 install.php < request.json
 *
 * wp-config.php is expected one level above the docroot, where wp-load.php finds it.
 * The request is a JSON object on stdin (never argv: it holds the password):
 *
 *     {"url": "http://example.test:18080", "title": "...", "admin_user": "...",
 *      "admin_email": "...", "admin_password": "...", "locale": "" | "en_US" | ...,
 *      "public": true, "permalink": "/%postname%/",
 *      "multisite": null | "subdirectory" | "subdomain",
 *      "domain": "example.test", "port": 18080}
 *
 * stdout gets exactly one line of JSON:
 *     {"ok":true,"wp_version":"6.1.9","admin_user_id":1}
 *     {"ok":false,"error":"..."}
 * Anything WordPress prints (HTML, notices) goes to stderr instead.
 *
 * Exit status: 0 installed; 1 failure; 2 invalid request; 3 already installed.
 *
 * What it does, in WordPress's own terms: wp_install() (no mail is sent and no
 * HTTP request leaves: its pretty-permalink probe just fails), home and siteurl
 * set to "url", WP_DEFAULT_THEME kept when installed or else the first installed
 * theme (by directory name) switched to, the permalink structure set and the
 * rewrite rules flushed without writing .htaccess. With "multisite" it then does
 * what wp-admin/network.php does: install_network() and populate_network() for
 * network 1 on the domain of siteurl (host:port when the port is not the
 * default), path "/" (or the path of "url"). WordPress's rule for a subdirectory
 * network applies: the main site's posts live under /blog/, so the permalink
 * structure is stored as "/blog" + "permalink". wp-config.php needs no network
 * constants for this; MULTISITE etc. are added afterwards.
 */

/*
 * The installer mails the new administrator. Hosts need not have an MTA, and the
 * engine reports the result itself, so this request sends no mail at all. Being
 * defined before wp-load.php, this replaces the pluggable wp_mail() for this run.
 */
function wp_mail( $to, $subject, $message, $headers = '', $attachments = array() ) {
	return true;
}

const WPH_INSTALL_EXIT_FAILURE   = 1;
const WPH_INSTALL_EXIT_USAGE     = 2;
const WPH_INSTALL_EXIT_INSTALLED = 3;

final class WPH_Install_Failure extends Exception {
	public function __construct( string $message, int $exit_code = WPH_INSTALL_EXIT_FAILURE ) {
		parent::__construct( $message, $exit_code );
	}
}

$GLOBALS['wph_install_done'] = false;
$GLOBALS['wph_install_tail'] = '';

/** Output-buffer callback: everything printed goes to stderr, never stdout. */
function wph_install_divert_output( $buffer, $phase ) {
	if ( '' !== $buffer ) {
		fwrite( STDERR, $buffer );
		$GLOBALS['wph_install_tail'] = substr( $GLOBALS['wph_install_tail'] . $buffer, -4000 );
	}
	return '';
}

/** Turns an HTML message from WordPress into one line of plain text. */
function wph_install_plain( $text ): string {
	if ( is_object( $text ) && method_exists( $text, 'get_error_message' ) ) {
		$text = $text->get_error_message();
	}
	if ( ! is_scalar( $text ) ) {
		return '';
	}
	$text = preg_replace( '@<(script|style)[^>]*?>.*?</\\1>@si', '', (string) $text );
	$text = html_entity_decode( strip_tags( $text ), ENT_QUOTES | ENT_HTML5, 'UTF-8' );
	return trim( preg_replace( '/\s+/u', ' ', $text ) ?? $text );
}

/** Prints the one JSON line and ends the process. */
function wph_install_emit( array $result, int $status ) {
	$GLOBALS['wph_install_done'] = true;
	while ( ob_get_level() > 0 ) {
		ob_end_flush();
	}
	fwrite( STDOUT, json_encode( $result, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE ) . "\n" );
	fflush( STDOUT );
	// Whatever runs at shutdown (WordPress's own hooks) still prints to stderr only.
	ob_start( 'wph_install_divert_output', 8192 );
	exit( $status );
}

/** Something called exit/die or hit a fatal error before we answered. */
function wph_install_shutdown() {
	if ( $GLOBALS['wph_install_done'] ) {
		return;
	}
	while ( ob_get_level() > 0 ) {
		ob_end_flush();
	}
	$why   = 'the installer stopped before finishing';
	$error = error_get_last();
	if ( $error && in_array( $error['type'], array( E_ERROR, E_PARSE, E_CORE_ERROR, E_COMPILE_ERROR, E_USER_ERROR, E_RECOVERABLE_ERROR ), true ) ) {
		$why .= ': ' . $error['message'] . ' in ' . $error['file'] . ':' . $error['line'];
	} else {
		$said = wph_install_plain( $GLOBALS['wph_install_tail'] );
		if ( '' !== $said ) {
			$why .= ': ' . substr( $said, -500 );
		}
	}
	$GLOBALS['wph_install_done'] = true;
	fwrite( STDOUT, json_encode( array( 'ok' => false, 'error' => $why ), JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE ) . "\n" );
	exit( WPH_INSTALL_EXIT_FAILURE );
}

/** wpdb's connection errors, shorter and with the server's own reason. */
function wph_install_database_error( $error ): string {
	$code = is_object( $error ) && method_exists( $error, 'get_error_code' ) ? $error->get_error_code() : '';
	$who  = ( defined( 'DB_USER' ) ? DB_USER : '?' ) . ' at ' . ( defined( 'DB_HOST' ) ? DB_HOST : '?' );
	if ( 'db_connect_fail' === $code ) {
		$why = function_exists( 'mysqli_connect_error' ) ? (string) mysqli_connect_error() : '';
		return "cannot connect to the database as $who" . ( '' !== $why ? ": $why" : '' );
	}
	if ( 'db_select_fail' === $code ) {
		return "cannot use database '" . ( defined( 'DB_NAME' ) ? DB_NAME : '?' ) . "' as $who (missing, or no privileges on it)";
	}
	return 'database: ' . wph_install_plain( $error );
}

/** wp_die() handler: a failure of this request, not an HTML page. */
function wph_install_die( $message, $title = '', $args = array() ) {
	// dead_db() passes wpdb's error, or (outside installs) only a generic headline.
	$db_error = isset( $GLOBALS['wpdb']->error ) ? $GLOBALS['wpdb']->error : null;
	if ( is_object( $message ) && method_exists( $message, 'get_error_code' ) && str_starts_with( (string) $message->get_error_code(), 'db_' ) ) {
		$text = wph_install_database_error( $message );
	} elseif ( is_object( $db_error ) && method_exists( $db_error, 'get_error_code' ) && str_starts_with( (string) $db_error->get_error_code(), 'db_' ) ) {
		$text = wph_install_database_error( $db_error );
	} else {
		$text = wph_install_plain( $message );
	}
	if ( '' === $text ) {
		$text = wph_install_plain( $title );
	}
	if ( '' === $text ) {
		$text = 'WordPress stopped (wp_die) without a message';
	}
	if ( $GLOBALS['wph_install_done'] ) {
		fwrite( STDERR, "wp_die after the result was printed: $text\n" );
		return;
	}
	throw new WPH_Install_Failure( $text );
}

/**
 * Reads and checks the request. Checks that need WordPress (user name and e-mail
 * rules) come later, in wph_install_check_with_wordpress().
 */
function wph_install_read_request(): array {
	$raw = stream_get_contents( STDIN );
	if ( false === $raw || '' === trim( $raw ) ) {
		throw new WPH_Install_Failure( 'expected a JSON object on stdin', WPH_INSTALL_EXIT_USAGE );
	}
	try {
		$in = json_decode( $raw, true, 32, JSON_THROW_ON_ERROR );
	} catch ( JsonException $e ) {
		throw new WPH_Install_Failure( 'stdin is not valid JSON: ' . $e->getMessage(), WPH_INSTALL_EXIT_USAGE );
	}
	if ( ! is_array( $in ) || array_is_list( $in ) && array() !== $in ) {
		throw new WPH_Install_Failure( 'stdin must hold a JSON object', WPH_INSTALL_EXIT_USAGE );
	}

	$string = function ( string $name, bool $required, string $default = '' ) use ( $in ): string {
		if ( ! array_key_exists( $name, $in ) || null === $in[ $name ] ) {
			if ( $required ) {
				throw new WPH_Install_Failure( "missing \"$name\"", WPH_INSTALL_EXIT_USAGE );
			}
			return $default;
		}
		if ( ! is_string( $in[ $name ] ) ) {
			throw new WPH_Install_Failure( "\"$name\" must be a string", WPH_INSTALL_EXIT_USAGE );
		}
		return $in[ $name ];
	};

	$r                   = array();
	$r['url']            = rtrim( trim( $string( 'url', true ) ), '/' );
	$r['title']          = trim( $string( 'title', true ) );
	$r['admin_user']     = trim( $string( 'admin_user', true ) );
	$r['admin_email']    = trim( $string( 'admin_email', true ) );
	$r['admin_password'] = $string( 'admin_password', true );
	$r['locale']         = trim( $string( 'locale', false ) );
	$r['permalink']      = trim( $string( 'permalink', false ) );
	$r['domain']         = strtolower( trim( $string( 'domain', true ) ) );
	$r['multisite']      = $string( 'multisite', false );

	$public = $in['public'] ?? true;
	if ( ! is_bool( $public ) ) {
		throw new WPH_Install_Failure( '"public" must be true or false', WPH_INSTALL_EXIT_USAGE );
	}
	$r['public'] = $public;

	if ( '' === $r['admin_user'] ) {
		throw new WPH_Install_Failure( '"admin_user" is empty', WPH_INSTALL_EXIT_USAGE );
	}
	// wp_install() trims the password, as the web installer does; an empty one
	// would make WordPress invent a password nobody is told.
	if ( '' === trim( $r['admin_password'] ) ) {
		throw new WPH_Install_Failure( '"admin_password" is empty', WPH_INSTALL_EXIT_USAGE );
	}
	if ( ! preg_match( '/^[A-Za-z0-9_]*$/', $r['locale'] ) ) {
		throw new WPH_Install_Failure( '"locale" may hold only letters, digits and underscores', WPH_INSTALL_EXIT_USAGE );
	}
	if ( ! in_array( $r['multisite'], array( '', 'subdirectory', 'subdomain' ), true ) ) {
		throw new WPH_Install_Failure( '"multisite" must be null, "subdirectory" or "subdomain"', WPH_INSTALL_EXIT_USAGE );
	}

	// The URL: http(s), a host, maybe a port and a path; nothing else.
	$parts = parse_url( $r['url'] );
	if ( ! is_array( $parts ) || ! isset( $parts['scheme'], $parts['host'] )
		|| ! in_array( strtolower( $parts['scheme'] ), array( 'http', 'https' ), true )
		|| isset( $parts['user'] ) || isset( $parts['pass'] ) || isset( $parts['query'] ) || isset( $parts['fragment'] ) ) {
		throw new WPH_Install_Failure( '"url" must be an http:// or https:// URL without query or fragment', WPH_INSTALL_EXIT_USAGE );
	}
	$r['https'] = 'https' === strtolower( $parts['scheme'] );
	$r['path']  = isset( $parts['path'] ) ? rtrim( $parts['path'], '/' ) : '';
	if ( strtolower( $parts['host'] ) !== $r['domain'] ) {
		throw new WPH_Install_Failure( "\"domain\" ({$r['domain']}) is not the host of \"url\" ({$parts['host']})", WPH_INSTALL_EXIT_USAGE );
	}
	if ( ! preg_match( '/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/', $r['domain'] ) ) {
		throw new WPH_Install_Failure( '"domain" is not a host name', WPH_INSTALL_EXIT_USAGE );
	}

	$url_port = $parts['port'] ?? ( $r['https'] ? 443 : 80 );
	$port     = $in['port'] ?? $url_port;
	if ( ! is_int( $port ) || $port < 1 || $port > 65535 ) {
		throw new WPH_Install_Failure( '"port" must be an integer from 1 to 65535', WPH_INSTALL_EXIT_USAGE );
	}
	if ( $port !== $url_port ) {
		throw new WPH_Install_Failure( "\"port\" ($port) is not the port of \"url\" ($url_port)", WPH_INSTALL_EXIT_USAGE );
	}
	$r['port']      = $port;
	$r['http_host'] = in_array( $port, array( 80, 443 ), true ) ? $r['domain'] : $r['domain'] . ':' . $port;

	// WordPress offers subdomain networks only where allow_subdomain_install() holds.
	if ( 'subdomain' === $r['multisite']
		&& ( '' !== $r['path'] || 'localhost' === $r['domain'] || preg_match( '/^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/', $r['domain'] ) ) ) {
		throw new WPH_Install_Failure( 'a subdomain network needs a URL without a path on a real host name (not localhost or an IP address)', WPH_INSTALL_EXIT_USAGE );
	}

	// As the Permalinks screen stores it: no '#', one leading slash, no doubled slashes.
	if ( '' !== $r['permalink'] ) {
		$r['permalink'] = preg_replace( '#/+#', '/', '/' . str_replace( '#', '', $r['permalink'] ) );
	}
	return $r;
}

/** $_SERVER as a web request for {url}/wp-admin/install.php would have it. */
function wph_install_fake_request( array $r, string $docroot ) {
	$script = $r['path'] . '/wp-admin/install.php';
	foreach ( array( 'HTTP_X_FORWARDED_PROTO', 'HTTP_X_FORWARDED_HOST', 'HTTP_X_FORWARDED_FOR', 'HTTP_FORWARDED', 'HTTP_PROXY', 'PATH_INFO', 'ORIG_PATH_INFO', 'QUERY_STRING' ) as $drop ) {
		unset( $_SERVER[ $drop ] );
	}
	$_SERVER['HTTP_HOST']       = $r['http_host'];
	$_SERVER['SERVER_NAME']     = $r['domain'];
	$_SERVER['SERVER_PORT']     = (string) $r['port'];
	$_SERVER['HTTPS']           = $r['https'] ? 'on' : 'off';
	$_SERVER['REQUEST_SCHEME']  = $r['https'] ? 'https' : 'http';
	$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
	$_SERVER['SERVER_SOFTWARE'] = 'nginx';
	$_SERVER['REQUEST_METHOD']  = 'GET';
	$_SERVER['REQUEST_URI']     = $script;
	$_SERVER['SCRIPT_NAME']     = $script;
	$_SERVER['PHP_SELF']        = $script;
	$_SERVER['SCRIPT_FILENAME'] = $docroot . '/wp-admin/install.php';
	$_SERVER['DOCUMENT_ROOT']   = $docroot;
	$_SERVER['REMOTE_ADDR']     = '127.0.0.1';
	$_SERVER['SERVER_ADDR']     = '127.0.0.1';
	$_SERVER['HTTP_USER_AGENT'] = 'libwphost-install';
	$_GET     = array();
	$_POST    = array();
	$_COOKIE  = array();
	$_REQUEST = array();
}

/**
 * Hooks in place before WordPress loads (WordPress turns a pre-filled $wp_filter
 * into its hooks): wp_die() throws instead of printing a page, no HTTP request
 * leaves (the pretty-permalink probe and the wildcard-DNS probe would otherwise
 * wait for a web server that is not running yet), no page-cache drop-in runs, and
 * fatal errors reach our shutdown function instead of WordPress's error page.
 */
function wph_install_preload_hooks() {
	global $wp_filter;
	$die_handler = static function () {
		return 'wph_install_die';
	};
	$hooks = array(
		'pre_http_request'                     => array( static function ( $pre, $args, $url ) {
			return new WP_Error( 'wph_offline', 'HTTP requests are disabled while installing' );
		}, 3 ),
		'enable_loading_advanced_cache_dropin' => array( static function () {
			return false;
		}, 1 ),
		'wp_fatal_error_handler_enabled'       => array( static function () {
			return false;
		}, 1 ),
	);
	foreach ( array( 'wp_die_handler', 'wp_die_ajax_handler', 'wp_die_json_handler', 'wp_die_jsonp_handler', 'wp_die_xmlrpc_handler', 'wp_die_xml_handler' ) as $name ) {
		$hooks[ $name ] = array( $die_handler, 1 );
	}
	if ( ! is_array( $wp_filter ) ) {
		$wp_filter = array();
	}
	foreach ( $hooks as $name => list( $callback, $accepted_args ) ) {
		$wp_filter[ $name ][ PHP_INT_MAX ][] = array(
			'function'      => $callback,
			'accepted_args' => $accepted_args,
		);
	}
}

/** Where wp-load.php will find wp-config.php, and that it is not Debian's. */
function wph_install_check_docroot( string $docroot ) {
	foreach ( array( 'wp-load.php', 'wp-settings.php', 'wp-admin/includes/upgrade.php' ) as $file ) {
		if ( ! is_file( "$docroot/$file" ) ) {
			throw new WPH_Install_Failure( "the current directory ($docroot) is not a WordPress docroot: $file is missing" );
		}
	}
	$config = is_file( "$docroot/wp-config.php" ) ? "$docroot/wp-config.php" : dirname( $docroot ) . '/wp-config.php';
	if ( ! is_file( $config ) ) {
		throw new WPH_Install_Failure( 'no wp-config.php in the docroot or one level above it' );
	}
	$head = (string) @file_get_contents( $config, false, null, 0, 4096 );
	if ( str_contains( $head, '/etc/wordpress/config-' ) ) {
		throw new WPH_Install_Failure( "$config is the Debian package's wp-config.php; remove it from the docroot" );
	}
}

/** The theme to activate: WP_DEFAULT_THEME if installed, else the first installed one. */
function wph_install_pick_theme(): string {
	$themes = wp_get_themes( array( 'errors' => false ) );
	if ( defined( 'WP_DEFAULT_THEME' ) && isset( $themes[ WP_DEFAULT_THEME ] ) ) {
		return WP_DEFAULT_THEME;
	}
	$names = array_keys( $themes );
	sort( $names, SORT_STRING );
	if ( ! $names ) {
		throw new WPH_Install_Failure( 'no usable theme in ' . get_theme_root() );
	}
	return $names[0];
}

function wph_install_run( array $r ): array {
	global $wpdb, $wp_rewrite, $wp_version;

	if ( ! empty( $wpdb->error ) ) {
		throw new WPH_Install_Failure( wph_install_database_error( $wpdb->error ) );
	}
	if ( empty( $wpdb->dbh ) || ! $wpdb->ready ) {
		throw new WPH_Install_Failure( 'database: no connection to ' . DB_HOST );
	}

	// The rules of the web installer for the user name and e-mail address.
	if ( sanitize_user( $r['admin_user'], true ) !== $r['admin_user'] ) {
		throw new WPH_Install_Failure( 'the admin user name has characters WordPress does not allow', WPH_INSTALL_EXIT_USAGE );
	}
	if ( ! is_email( $r['admin_email'] ) ) {
		throw new WPH_Install_Failure( 'the admin e-mail address is not valid', WPH_INSTALL_EXIT_USAGE );
	}
	$theme = wph_install_pick_theme();

	// An object cache can hold an earlier life of this site's key prefix
	// (is_blog_installed() and the options are read through it); none of that
	// can be current before an install.
	wp_cache_flush();
	if ( is_blog_installed() ) {
		throw new WPH_Install_Failure( "WordPress is already installed in database '" . DB_NAME . "' with table prefix '{$wpdb->base_prefix}'", WPH_INSTALL_EXIT_INSTALLED );
	}

	// Like the web installer: default content in the site's language if its
	// translations are installed; the language is stored either way.
	if ( '' !== $r['locale'] && 'en_US' !== $r['locale'] && load_default_textdomain( $r['locale'] ) ) {
		$GLOBALS['wp_locale'] = new WP_Locale();
	}

	$wpdb->show_errors();
	// The password is slashed as the web installer passes it: WordPress hashes what
	// wp-login.php will later see in the (slashed) $_POST.
	$result = wp_install( $r['title'], $r['admin_user'], $r['admin_email'], $r['public'], '', wp_slash( $r['admin_password'] ), $r['locale'] );
	$wpdb->hide_errors();
	$user_id = is_array( $result ) ? $result['user_id'] : null;
	if ( is_wp_error( $user_id ) ) {
		throw new WPH_Install_Failure( 'creating the admin user: ' . $user_id->get_error_message() );
	}
	if ( ! is_numeric( $user_id ) || (int) $user_id <= 0 ) {
		throw new WPH_Install_Failure( 'wp_install() did not create the admin user' );
	}
	$user_id = (int) $user_id;

	update_option( 'home', $r['url'] );
	update_option( 'siteurl', $r['url'] );

	// populate_options() set WP_DEFAULT_THEME; switch only when it is not installed.
	if ( get_option( 'stylesheet' ) !== $theme || get_option( 'template' ) !== wp_get_theme( $theme )->get_template() ) {
		switch_theme( $theme );
	}

	$permalink = $r['permalink'];
	if ( '' !== $r['multisite'] ) {
		require_once ABSPATH . 'wp-admin/includes/network.php';
		$subdomain = 'subdomain' === $r['multisite'];
		// As wp-admin/network.php does: point wpdb at the network tables, create
		// them, then describe network 1 with this site as its main site.
		foreach ( $wpdb->tables( 'ms_global' ) as $table => $prefixed ) {
			$wpdb->$table = $prefixed;
		}
		install_network();
		$base   = parse_url( trailingslashit( get_option( 'home' ) ), PHP_URL_PATH );
		$domain = get_clean_basedomain();
		$made   = populate_network( 1, $domain, $r['admin_email'], $r['title'], $base, $subdomain );
		// A subdomain network probes a random subdomain over HTTP; that probe fails
		// here (no request leaves), which WordPress itself treats as a warning.
		if ( is_wp_error( $made ) && array( 'no_wildcard_dns' ) !== $made->get_error_codes() ) {
			throw new WPH_Install_Failure( 'network install: ' . wph_install_plain( $made ) );
		}
		// The main site of a subdirectory network keeps its posts under /blog/,
		// as the Permalinks screen would store the structure.
		if ( ! $subdomain && '' !== $permalink && ! str_starts_with( $permalink, '/blog/' ) ) {
			$permalink = '/blog' . $permalink;
		}
	}

	$wp_rewrite->set_permalink_structure( $permalink );
	flush_rewrite_rules( false );
	wp_cache_flush();

	return array(
		'ok'            => true,
		'wp_version'    => $wp_version,
		'admin_user_id' => $user_id,
	);
}

// ---------------------------------------------------------------------------

ob_start( 'wph_install_divert_output', 8192 );
register_shutdown_function( 'wph_install_shutdown' );

try {
	$wph_request = wph_install_read_request();
	$wph_docroot = rtrim( (string) getcwd(), '/' );
	wph_install_check_docroot( $wph_docroot );
	wph_install_fake_request( $wph_request, $wph_docroot );
	wph_install_preload_hooks();
	define( 'WP_INSTALLING', true );

	// At file scope: wp-config.php and wp-settings.php set globals.
	require_once $wph_docroot . '/wp-load.php';
	require_once ABSPATH . 'wp-admin/includes/upgrade.php';

	wph_install_emit( wph_install_run( $wph_request ), 0 );
} catch ( WPH_Install_Failure $wph_e ) {
	wph_install_emit( array( 'ok' => false, 'error' => $wph_e->getMessage() ), $wph_e->getCode() );
} catch ( Throwable $wph_e ) {
	wph_install_emit( array( 'ok' => false, 'error' => get_class( $wph_e ) . ': ' . $wph_e->getMessage() . ' in ' . $wph_e->getFile() . ':' . $wph_e->getLine() ), WPH_INSTALL_EXIT_FAILURE );
}
