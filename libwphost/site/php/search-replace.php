<?php
/**
 * libwphost: replace strings in a WordPress site's database, also inside
 * PHP-serialized values (whose string lengths are rewritten to match), for example
 * to move a cloned or pushed site to its new URL.
 *
 * Run as the site's user, with the docroot as the current directory:
 *
 *     php8.2 search-replace.php < request.json
 *
 * Request (JSON object on stdin):
 *     {"pairs": [["http://old.test", "http://new.test"], ["//old.test", "//new.test"]],
 *      "tables": [],            every table named with the site's $table_prefix when empty
 *      "skip_columns": ["guid"] column names, or "table.column"}
 *
 * stdout gets exactly one line of JSON:
 *     {"ok":true,"tables":N,"rows":N,"cells":N,"skipped_tables":[...],"untouched_values":N}
 *     {"ok":false,"error":"..."}
 * With a persistent object cache (object-cache.php), it is flushed at the end; if
 * that fails the run fails (the rows stay rewritten; a second run flushes again).
 * tables: tables searched; rows and cells: rows and cells changed; skipped_tables:
 * tables with text columns but no primary key (not searched); untouched_values:
 * serialized values that held a search string but were left as they were, because
 * they could not be written back exactly (see WPH_SR_Replacer).
 *
 * All pairs are applied in one pass (strtr(): at each position the longest matching
 * search string wins, replaced text is not searched again). Primary-key columns,
 * array keys and property names are never rewritten. Exit status: 0 done;
 * 1 failure; 2 invalid request.
 */

const WPH_SR_EXIT_FAILURE = 1;
const WPH_SR_EXIT_USAGE   = 2;
const WPH_SR_BATCH_ROWS   = 500;

final class WPH_SR_Failure extends Exception {
	public function __construct( string $message, int $exit_code = WPH_SR_EXIT_FAILURE ) {
		parent::__construct( $message, $exit_code );
	}
}

$GLOBALS['wph_sr_done'] = false;
$GLOBALS['wph_sr_tail'] = '';

/** Output-buffer callback: everything printed goes to stderr, never stdout. */
function wph_sr_divert_output( $buffer, $phase ) {
	if ( '' !== $buffer ) {
		fwrite( STDERR, $buffer );
		$GLOBALS['wph_sr_tail'] = substr( $GLOBALS['wph_sr_tail'] . $buffer, -4000 );
	}
	return '';
}

function wph_sr_plain( $text ): string {
	if ( is_object( $text ) && method_exists( $text, 'get_error_message' ) ) {
		$text = $text->get_error_message();
	}
	if ( ! is_scalar( $text ) ) {
		return '';
	}
	$text = html_entity_decode( strip_tags( (string) $text ), ENT_QUOTES | ENT_HTML5, 'UTF-8' );
	return trim( preg_replace( '/\s+/u', ' ', $text ) ?? $text );
}

function wph_sr_emit( array $result, int $status ) {
	$GLOBALS['wph_sr_done'] = true;
	while ( ob_get_level() > 0 ) {
		ob_end_flush();
	}
	fwrite( STDOUT, json_encode( $result, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE ) . "\n" );
	fflush( STDOUT );
	ob_start( 'wph_sr_divert_output', 8192 );
	exit( $status );
}

function wph_sr_shutdown() {
	if ( $GLOBALS['wph_sr_done'] ) {
		return;
	}
	while ( ob_get_level() > 0 ) {
		ob_end_flush();
	}
	$why   = 'search-replace stopped before finishing';
	$error = error_get_last();
	if ( $error && in_array( $error['type'], array( E_ERROR, E_PARSE, E_CORE_ERROR, E_COMPILE_ERROR, E_USER_ERROR, E_RECOVERABLE_ERROR ), true ) ) {
		$why .= ': ' . $error['message'] . ' in ' . $error['file'] . ':' . $error['line'];
	} else {
		$said = wph_sr_plain( $GLOBALS['wph_sr_tail'] );
		if ( '' !== $said ) {
			$why .= ': ' . substr( $said, -500 );
		}
	}
	$GLOBALS['wph_sr_done'] = true;
	fwrite( STDOUT, json_encode( array( 'ok' => false, 'error' => $why ), JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE ) . "\n" );
	exit( WPH_SR_EXIT_FAILURE );
}

function wph_sr_database_error( $error ): string {
	$code = is_object( $error ) && method_exists( $error, 'get_error_code' ) ? $error->get_error_code() : '';
	$who  = ( defined( 'DB_USER' ) ? DB_USER : '?' ) . ' at ' . ( defined( 'DB_HOST' ) ? DB_HOST : '?' );
	if ( 'db_connect_fail' === $code ) {
		$why = function_exists( 'mysqli_connect_error' ) ? (string) mysqli_connect_error() : '';
		return "cannot connect to the database as $who" . ( '' !== $why ? ": $why" : '' );
	}
	if ( 'db_select_fail' === $code ) {
		return "cannot use database '" . ( defined( 'DB_NAME' ) ? DB_NAME : '?' ) . "' as $who (missing, or no privileges on it)";
	}
	return 'database: ' . wph_sr_plain( $error );
}

function wph_sr_die( $message, $title = '', $args = array() ) {
	// dead_db() passes wpdb's error, or (outside installs) only a generic headline.
	$db_error = isset( $GLOBALS['wpdb']->error ) ? $GLOBALS['wpdb']->error : null;
	if ( is_object( $message ) && method_exists( $message, 'get_error_code' ) && str_starts_with( (string) $message->get_error_code(), 'db_' ) ) {
		$text = wph_sr_database_error( $message );
	} elseif ( is_object( $db_error ) && method_exists( $db_error, 'get_error_code' ) && str_starts_with( (string) $db_error->get_error_code(), 'db_' ) ) {
		$text = wph_sr_database_error( $db_error );
	} else {
		$text = wph_sr_plain( $message );
	}
	if ( '' === $text ) {
		$text = wph_sr_plain( $title );
	}
	if ( '' === $text ) {
		$text = 'WordPress stopped (wp_die) without a message';
	}
	if ( $GLOBALS['wph_sr_done'] ) {
		fwrite( STDERR, "wp_die after the result was printed: $text\n" );
		return;
	}
	throw new WPH_SR_Failure( $text );
}

function wph_sr_read_request(): array {
	$raw = stream_get_contents( STDIN );
	if ( false === $raw || '' === trim( $raw ) ) {
		throw new WPH_SR_Failure( 'expected a JSON object on stdin', WPH_SR_EXIT_USAGE );
	}
	try {
		$in = json_decode( $raw, true, 32, JSON_THROW_ON_ERROR );
	} catch ( JsonException $e ) {
		throw new WPH_SR_Failure( 'stdin is not valid JSON: ' . $e->getMessage(), WPH_SR_EXIT_USAGE );
	}
	if ( ! is_array( $in ) || ( array() !== $in && array_is_list( $in ) ) ) {
		throw new WPH_SR_Failure( 'stdin must hold a JSON object', WPH_SR_EXIT_USAGE );
	}

	$pairs = $in['pairs'] ?? null;
	if ( ! is_array( $pairs ) || ! array_is_list( $pairs ) || ! $pairs ) {
		throw new WPH_SR_Failure( '"pairs" must be a non-empty list of [search, replace] pairs', WPH_SR_EXIT_USAGE );
	}
	$map = array();
	foreach ( $pairs as $i => $pair ) {
		if ( ! is_array( $pair ) || 2 !== count( $pair ) || ! array_is_list( $pair ) || ! is_string( $pair[0] ) || ! is_string( $pair[1] ) ) {
			throw new WPH_SR_Failure( "pairs[$i] must be [search, replace], two strings", WPH_SR_EXIT_USAGE );
		}
		if ( '' === $pair[0] ) {
			throw new WPH_SR_Failure( "pairs[$i]: the search string is empty", WPH_SR_EXIT_USAGE );
		}
		if ( isset( $map[ $pair[0] ] ) && $map[ $pair[0] ] !== $pair[1] ) {
			throw new WPH_SR_Failure( "pairs[$i]: \"{$pair[0]}\" is searched twice with different replacements", WPH_SR_EXIT_USAGE );
		}
		if ( $pair[0] !== $pair[1] ) {
			$map[ $pair[0] ] = $pair[1];
		}
	}

	$lists = array();
	foreach ( array( 'tables', 'skip_columns' ) as $name ) {
		$list = $in[ $name ] ?? array();
		if ( ! is_array( $list ) || ! array_is_list( $list ) ) {
			throw new WPH_SR_Failure( "\"$name\" must be a list of strings", WPH_SR_EXIT_USAGE );
		}
		foreach ( $list as $item ) {
			if ( ! is_string( $item ) || '' === $item ) {
				throw new WPH_SR_Failure( "\"$name\" must be a list of non-empty strings", WPH_SR_EXIT_USAGE );
			}
		}
		$lists[ $name ] = array_values( array_unique( $list ) );
	}

	return array(
		'map'          => $map,
		'tables'       => $lists['tables'],
		'skip_columns' => array_map( 'strtolower', $lists['skip_columns'] ),
	);
}

function wph_sr_preload_hooks() {
	global $wp_filter;
	$die_handler = static function () {
		return 'wph_sr_die';
	};
	$hooks = array(
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

/**
 * Replaces strings in one cell's value, serialization-aware.
 *
 * A string that is serialized PHP data (the way maybe_unserialize() would take it)
 * is unserialized without instantiating any class (allowed_classes false: objects
 * become stdClass or __PHP_Incomplete_Class), the replacement is applied to every
 * string inside it (recursively: strings that are themselves serialized data are
 * handled the same way), and it is serialized again. That is only done when
 * serialize() reproduces the original text exactly (else the rewrite would change
 * more than the replaced strings: Serializable "C:" payloads, for example, come back
 * as empty objects) and when the new text unserializes to the intended value, class
 * names and property names included. Values failing either check, or holding PHP
 * references, are left as they are and counted in $untouched. Strings that are not
 * valid serialized data are replaced as plain text.
 */
final class WPH_SR_Replacer {
	const MAX_DEPTH = 32;

	/** @var array<string,string> */
	private $map;

	/** Serialized values with a match that were left as they were. */
	public $untouched = 0;

	public function __construct( array $map ) {
		$this->map = $map;
	}

	public function replace( string $text ): string {
		return $this->text( $text, 0 );
	}

	private function mentions( string $text ): bool {
		foreach ( $this->map as $from => $to ) {
			if ( false !== strpos( $text, (string) $from ) ) {
				return true;
			}
		}
		return false;
	}

	private function text( string $text, int $depth ): string {
		if ( ! $this->mentions( $text ) ) {
			return $text;
		}
		if ( self::looks_serialized( $text ) ) {
			$value = @unserialize( $text, array( 'allowed_classes' => false ) );
			if ( false !== $value || 'b:0;' === $text ) {
				if ( $depth >= self::MAX_DEPTH ) {
					++$this->untouched;
					return $text;
				}
				$new = $this->serialized( $text, $value, $depth );
				if ( null === $new ) {
					++$this->untouched;
					return $text;
				}
				return $new;
			}
		}
		return strtr( $text, $this->map );
	}

	/** Cheap test of the shape maybe_unserialize() accepts; unserialize() decides. */
	private static function looks_serialized( string $text ): bool {
		if ( 'N;' === $text ) {
			return true;
		}
		if ( strlen( $text ) < 4 || ':' !== $text[1] || false === strpos( 'sabidOCE', $text[0] ) ) {
			return false;
		}
		$last = $text[ strlen( $text ) - 1 ];
		return ';' === $last || '}' === $last;
	}

	/** The rewritten serialized text, or null when it cannot be written back exactly. */
	private function serialized( string $text, $value, int $depth ): ?string {
		$saved = ini_get( 'serialize_precision' );
		try {
			// Current PHP writes floats shortest-exact (-1); data from before PHP 7.1
			// has 17 digits. Whichever reproduces the text is used to write it back.
			$precision = null;
			foreach ( array( '-1', '17' ) as $candidate ) {
				ini_set( 'serialize_precision', $candidate );
				if ( @serialize( $value ) === $text ) {
					$precision = $candidate;
					break;
				}
			}
			if ( null === $precision ) {
				return null;
			}
			$changed = false;
			$seen    = array();
			$new     = $this->walk( $value, $depth, $changed, $seen );
			if ( ! $changed ) {
				return $text; // The match was in a key, a class or property name.
			}
			$out   = serialize( $new );
			$check = @unserialize( $out, array( 'allowed_classes' => false ) );
			if ( ( false === $check && 'b:0;' !== $out ) || self::fingerprint( $check ) !== self::fingerprint( $new ) ) {
				return null;
			}
			return $out;
		} catch ( WPH_SR_Untouchable $e ) {
			return null;
		} finally {
			ini_set( 'serialize_precision', (string) $saved );
		}
	}

	/** Applies the replacement to every string in $value. */
	private function walk( $value, int $depth, bool &$changed, array &$seen ) {
		if ( is_string( $value ) ) {
			$new = $this->text( $value, $depth + 1 );
			if ( $new !== $value ) {
				$changed = true;
			}
			return $new;
		}
		if ( is_array( $value ) ) {
			return $this->walk_array( $value, $depth, $changed, $seen );
		}
		if ( ! is_object( $value ) ) {
			return $value;
		}
		// The same object twice ("r:" back-references) cannot be kept shared here.
		$id = spl_object_id( $value );
		if ( isset( $seen[ $id ] ) ) {
			throw new WPH_SR_Untouchable();
		}
		$seen[ $id ] = true;

		if ( $value instanceof __PHP_Incomplete_Class ) {
			return $this->walk_incomplete( $value, $depth, $changed, $seen );
		}
		if ( $value instanceof stdClass ) {
			$here  = false;
			$props = $this->walk_array( (array) $value, $depth, $here, $seen );
			if ( ! $here ) {
				return $value;
			}
			$changed = true;
			return (object) $props;
		}
		return $value; // An enum or another class PHP allowed: left as it is.
	}

	private function walk_array( array $items, int $depth, bool &$changed, array &$seen ): array {
		foreach ( $items as $key => $item ) {
			// PHP references ("R:") would see the replacement applied twice.
			if ( null !== ReflectionReference::fromArrayElement( $items, $key ) ) {
				throw new WPH_SR_Untouchable();
			}
			$items[ $key ] = $this->walk( $item, $depth, $changed, $seen );
		}
		return $items;
	}

	/**
	 * An object of a class not loaded here. PHP refuses to change its properties, so
	 * it is built anew from serialized text: the class name it had, its properties
	 * (private and protected names kept as PHP stores them) with the replacements.
	 */
	private function walk_incomplete( $object, int $depth, bool &$changed, array &$seen ) {
		$props = (array) $object;
		$class = $props['__PHP_Incomplete_Class_Name'] ?? null;
		if ( ! is_string( $class ) || '' === $class ) {
			throw new WPH_SR_Untouchable();
		}
		unset( $props['__PHP_Incomplete_Class_Name'] );
		$here = false;
		$new  = $this->walk_array( $props, $depth, $here, $seen );
		if ( ! $here ) {
			return $object;
		}
		$as_array = serialize( $new ); // a:N:{...}
		$text     = 'O:' . strlen( $class ) . ':"' . $class . '":' . substr( $as_array, 2 );
		$rebuilt  = @unserialize( $text, array( 'allowed_classes' => false ) );
		if ( ! $rebuilt instanceof __PHP_Incomplete_Class ) {
			throw new WPH_SR_Untouchable();
		}
		$check = (array) $rebuilt;
		if ( ( $check['__PHP_Incomplete_Class_Name'] ?? null ) !== $class ) {
			throw new WPH_SR_Untouchable();
		}
		unset( $check['__PHP_Incomplete_Class_Name'] );
		if ( self::fingerprint( $check ) !== self::fingerprint( $new ) || serialize( $rebuilt ) !== $text ) {
			throw new WPH_SR_Untouchable();
		}
		$changed = true;
		return $rebuilt;
	}

	/** A comparable picture of a value: types, keys, class and property names, exact floats. */
	private static function fingerprint( $value ) {
		if ( is_array( $value ) ) {
			$out = array();
			foreach ( $value as $key => $item ) {
				$out[ $key ] = self::fingerprint( $item );
			}
			return array( 'a', $out );
		}
		if ( is_object( $value ) ) {
			$props = (array) $value;
			if ( $value instanceof __PHP_Incomplete_Class ) {
				$class = $props['__PHP_Incomplete_Class_Name'] ?? '';
				unset( $props['__PHP_Incomplete_Class_Name'] );
			} else {
				$class = get_class( $value );
			}
			if ( $value instanceof UnitEnum ) {
				return array( 'e', $class, $value->name );
			}
			return array( 'o', $class, self::fingerprint( $props ) );
		}
		if ( is_float( $value ) ) {
			return array( 'd', pack( 'E', $value ) );
		}
		return array( gettype( $value ), $value );
	}
}

final class WPH_SR_Untouchable extends Exception {
}

function wph_sr_ident( string $name ): string {
	// Backquoted; '%' doubled because the SQL goes through wpdb::prepare().
	return '`' . str_replace( array( '`', '%' ), array( '``', '%%' ), $name ) . '`';
}

/** Base tables to search: the requested ones (which must exist), or all with the prefix. */
function wph_sr_tables( array $requested ): array {
	global $wpdb;
	$existing = $wpdb->get_col( "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME" );
	if ( ! is_array( $existing ) || '' !== $wpdb->last_error ) {
		throw new WPH_SR_Failure( 'listing tables: ' . $wpdb->last_error );
	}
	if ( $requested ) {
		$missing = array_diff( $requested, $existing );
		if ( $missing ) {
			throw new WPH_SR_Failure( 'no such table: ' . implode( ', ', $missing ), WPH_SR_EXIT_USAGE );
		}
		return $requested;
	}
	$prefix = $wpdb->base_prefix;
	return array_values(
		array_filter(
			$existing,
			function ( $table ) use ( $prefix ) {
				return str_starts_with( $table, $prefix );
			}
		)
	);
}

/**
 * Searches one table. Returns null when it has no primary key (not searched), else
 * array( rows changed, cells changed ).
 */
function wph_sr_table( string $table, WPH_SR_Replacer $replacer, array $skip_columns, array $froms ): ?array {
	global $wpdb;

	$columns = $wpdb->get_results(
		$wpdb->prepare( 'SELECT COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s ORDER BY ORDINAL_POSITION', $table ),
		ARRAY_A
	);
	if ( ! $columns ) {
		throw new WPH_SR_Failure( "reading the columns of $table: " . ( $wpdb->last_error ? $wpdb->last_error : 'none found' ) );
	}
	$keys = $wpdb->get_col(
		$wpdb->prepare( "SELECT COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX", $table )
	);

	$text_types = array( 'char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'binary', 'varbinary', 'tinyblob', 'blob', 'mediumblob', 'longblob', 'json' );
	$search     = array();
	foreach ( $columns as $column ) {
		$name = $column['COLUMN_NAME'];
		if ( in_array( strtolower( $column['DATA_TYPE'] ), $text_types, true )
			&& ! in_array( $name, $keys, true )
			&& ! in_array( strtolower( $name ), $skip_columns, true )
			&& ! in_array( strtolower( "$table.$name" ), $skip_columns, true ) ) {
			$search[] = $name;
		}
	}
	if ( ! $search ) {
		return array( 0, 0 );
	}
	if ( ! $keys ) {
		return null;
	}

	// Only rows where some searched column contains some search string (LIKE may
	// match more, never less; the exact test is done in PHP).
	$like_sql  = array();
	$like_args = array();
	foreach ( $search as $name ) {
		foreach ( $froms as $from ) {
			$like_sql[]  = wph_sr_ident( $name ) . ' LIKE %s';
			$like_args[] = '%' . $wpdb->esc_like( $from ) . '%';
		}
	}
	$key_list = implode( ', ', array_map( 'wph_sr_ident', $keys ) );
	$select   = 'SELECT ' . implode( ', ', array_map( 'wph_sr_ident', array_merge( $keys, $search ) ) ) . ' FROM ' . wph_sr_ident( $table );
	$after    = ( 1 === count( $keys ) ? $key_list : "($key_list)" ) . ' > ' . ( 1 === count( $keys ) ? '%s' : '(' . implode( ', ', array_fill( 0, count( $keys ), '%s' ) ) . ')' );

	$rows   = 0;
	$cells  = 0;
	$cursor = null;
	while ( true ) {
		$where = array( '(' . implode( ' OR ', $like_sql ) . ')' );
		$args  = $like_args;
		if ( null !== $cursor ) {
			$where[] = $after;
			$args    = array_merge( $args, $cursor );
		}
		$sql   = $wpdb->prepare( "$select WHERE " . implode( ' AND ', $where ) . " ORDER BY $key_list LIMIT " . WPH_SR_BATCH_ROWS, $args );
		$batch = $wpdb->get_results( $sql, ARRAY_A );
		if ( '' !== $wpdb->last_error ) {
			throw new WPH_SR_Failure( "reading $table: " . $wpdb->last_error );
		}
		if ( ! $batch ) {
			break;
		}
		foreach ( $batch as $row ) {
			$changes = array();
			foreach ( $search as $name ) {
				if ( null === $row[ $name ] ) {
					continue;
				}
				$new = $replacer->replace( $row[ $name ] );
				if ( $new !== $row[ $name ] ) {
					$changes[ $name ] = $new;
				}
			}
			if ( $changes ) {
				$where_key = array();
				foreach ( $keys as $key ) {
					$where_key[ $key ] = $row[ $key ];
				}
				$done = $wpdb->update( $table, $changes, $where_key, array_fill( 0, count( $changes ), '%s' ), array_fill( 0, count( $where_key ), '%s' ) );
				if ( false === $done ) {
					$what = json_encode( $where_key, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE );
					throw new WPH_SR_Failure( "updating $table row $what (" . implode( ', ', array_keys( $changes ) ) . '): ' . ( $wpdb->last_error ? $wpdb->last_error : 'wpdb refused the values (too long for the column, or not valid in its character set)' ) );
				}
				++$rows;
				$cells += count( $changes );
			}
		}
		$last   = end( $batch );
		$cursor = array();
		foreach ( $keys as $key ) {
			$cursor[] = $last[ $key ];
		}
		// Keep memory flat on big tables.
		$wpdb->flush();
		$wpdb->queries = array();
		if ( count( $batch ) < WPH_SR_BATCH_ROWS ) {
			break;
		}
	}
	return array( $rows, $cells );
}

function wph_sr_run( array $request ): array {
	global $wpdb;

	if ( ! empty( $wpdb->error ) ) {
		throw new WPH_SR_Failure( wph_sr_database_error( $wpdb->error ) );
	}
	if ( empty( $wpdb->dbh ) || ! $wpdb->ready ) {
		throw new WPH_SR_Failure( 'no database connection to ' . DB_HOST );
	}

	$result = array(
		'ok'               => true,
		'tables'           => 0,
		'rows'             => 0,
		'cells'            => 0,
		'skipped_tables'   => array(),
		'untouched_values' => 0,
	);
	$tables = wph_sr_tables( $request['tables'] );
	if ( ! $request['map'] ) {
		return $result; // Every pair replaces a string by itself.
	}
	$replacer = new WPH_SR_Replacer( $request['map'] );
	$froms    = array_map( 'strval', array_keys( $request['map'] ) );
	foreach ( $tables as $table ) {
		$done = wph_sr_table( $table, $replacer, $request['skip_columns'], $froms );
		if ( null === $done ) {
			$result['skipped_tables'][] = $table;
			fwrite( STDERR, "search-replace: $table has no primary key; not searched\n" );
			continue;
		}
		++$result['tables'];
		$result['rows']  += $done[0];
		$result['cells'] += $done[1];
	}
	$result['untouched_values'] = $replacer->untouched;

	// What a persistent object cache holds of the old values is stale now (also
	// after an earlier run that changed the rows but could not flush: so always).
	if ( function_exists( 'wp_using_ext_object_cache' ) && wp_using_ext_object_cache() && ! wp_cache_flush() ) {
		$why = isset( $GLOBALS['wp_object_cache']->redis_error ) ? ': ' . $GLOBALS['wp_object_cache']->redis_error : '';
		throw new WPH_SR_Failure( "the database was rewritten ({$result['cells']} cells) but the object cache could not be flushed$why; run again once it is reachable" );
	}
	return $result;
}

// ---------------------------------------------------------------------------

ob_start( 'wph_sr_divert_output', 8192 );
register_shutdown_function( 'wph_sr_shutdown' );

try {
	$wph_sr_request = wph_sr_read_request();
	$wph_sr_docroot = rtrim( (string) getcwd(), '/' );
	if ( ! is_file( "$wph_sr_docroot/wp-load.php" ) ) {
		throw new WPH_SR_Failure( "the current directory ($wph_sr_docroot) is not a WordPress docroot: wp-load.php is missing" );
	}
	wph_sr_preload_hooks();
	if ( ! isset( $_SERVER['HTTP_HOST'] ) ) {
		$_SERVER['HTTP_HOST'] = 'localhost'; // For wp-config.php files that read it.
	}
	if ( ! isset( $_SERVER['REQUEST_URI'] ) ) {
		$_SERVER['REQUEST_URI'] = '/';
	}
	// On a network, wp-settings.php would look the site up by HTTP_HOST (and may
	// redirect and exit when the database still names another domain, as right
	// after a clone). Declaring the main site here skips that look-up; only the
	// database connection and the table prefix are used.
	$current_site = (object) array(
		'id'      => 1,
		'domain'  => '',
		'path'    => '/',
		'blog_id' => 1,
	);
	$current_blog = (object) array(
		'blog_id' => 1,
		'site_id' => 1,
		'domain'  => '',
		'path'    => '/',
		'public'  => 1,
	);
	define( 'SHORTINIT', true );

	// At file scope: wp-config.php and wp-settings.php set globals.
	require_once $wph_sr_docroot . '/wp-load.php';

	wph_sr_emit( wph_sr_run( $wph_sr_request ), 0 );
} catch ( WPH_SR_Failure $wph_sr_e ) {
	wph_sr_emit( array( 'ok' => false, 'error' => $wph_sr_e->getMessage() ), $wph_sr_e->getCode() );
} catch ( Throwable $wph_sr_e ) {
	wph_sr_emit( array( 'ok' => false, 'error' => get_class( $wph_sr_e ) . ': ' . $wph_sr_e->getMessage() . ' in ' . $wph_sr_e->getFile() . ':' . $wph_sr_e->getLine() ), WPH_SR_EXIT_FAILURE );
}
