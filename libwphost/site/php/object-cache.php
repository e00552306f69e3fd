<?php
/**
 * libwphost: WordPress object-cache drop-in (wp-content/object-cache.php) on Redis,
 * through the phpredis extension.
 *
 * Settings, all optional, as constants in wp-config.php:
 *   WPH_REDIS_SOCKET    unix socket path; used instead of host/port when not empty
 *   WPH_REDIS_HOST      default '127.0.0.1'
 *   WPH_REDIS_PORT      default 6379
 *   WPH_REDIS_DATABASE  database index to SELECT, default 0
 *   WPH_REDIS_PASSWORD  AUTH password; or array( user, password ) for an ACL user
 *   WPH_REDIS_TIMEOUT   connect and read timeout in seconds (float), default 1
 *   WP_CACHE_KEY_SALT   prefix of every key of this site; trailing ':' are dropped
 *                       ("site:" and "site" give the same keys). Each site needs its
 *                       own, and none may be another's followed by ':'.
 *
 * Keys in Redis: "{salt}:{blog id, or 'global' for global groups}:{group}:{key}",
 * for example "site:1:posts:42" or "site:global:users:1".
 * Values: PHP integers as their decimal digits (so incr/decr work in Redis), any
 * other value as serialize() output. Each request keeps what it has read or written
 * in an in-memory cache in front of Redis. wp_cache_flush() deletes only keys under
 * this site's prefix (several sites may share one Redis database).
 *
 * If Redis cannot be reached, or fails during the request, the cache carries on
 * with the in-request cache only and says so once per process with error_log().
 */

defined( 'ABSPATH' ) || exit;

function wp_cache_init() {
	$GLOBALS['wp_object_cache'] = new WP_Object_Cache();
}

function wp_cache_add( $key, $data, $group = '', $expire = 0 ) {
	global $wp_object_cache;
	return $wp_object_cache->add( $key, $data, $group, (int) $expire );
}

function wp_cache_add_multiple( array $data, $group = '', $expire = 0 ) {
	global $wp_object_cache;
	return $wp_object_cache->add_multiple( $data, $group, (int) $expire );
}

function wp_cache_replace( $key, $data, $group = '', $expire = 0 ) {
	global $wp_object_cache;
	return $wp_object_cache->replace( $key, $data, $group, (int) $expire );
}

function wp_cache_set( $key, $data, $group = '', $expire = 0 ) {
	global $wp_object_cache;
	return $wp_object_cache->set( $key, $data, $group, (int) $expire );
}

function wp_cache_set_multiple( array $data, $group = '', $expire = 0 ) {
	global $wp_object_cache;
	return $wp_object_cache->set_multiple( $data, $group, (int) $expire );
}

function wp_cache_get( $key, $group = '', $force = false, &$found = null ) {
	global $wp_object_cache;
	return $wp_object_cache->get( $key, $group, $force, $found );
}

function wp_cache_get_multiple( $keys, $group = '', $force = false ) {
	global $wp_object_cache;
	return $wp_object_cache->get_multiple( $keys, $group, $force );
}

function wp_cache_delete( $key, $group = '' ) {
	global $wp_object_cache;
	return $wp_object_cache->delete( $key, $group );
}

function wp_cache_delete_multiple( array $keys, $group = '' ) {
	global $wp_object_cache;
	return $wp_object_cache->delete_multiple( $keys, $group );
}

function wp_cache_incr( $key, $offset = 1, $group = '' ) {
	global $wp_object_cache;
	return $wp_object_cache->incr( $key, $offset, $group );
}

function wp_cache_decr( $key, $offset = 1, $group = '' ) {
	global $wp_object_cache;
	return $wp_object_cache->decr( $key, $offset, $group );
}

function wp_cache_flush() {
	global $wp_object_cache;
	return $wp_object_cache->flush();
}

function wp_cache_flush_runtime() {
	global $wp_object_cache;
	return $wp_object_cache->flush_runtime();
}

function wp_cache_flush_group( $group ) {
	global $wp_object_cache;
	return $wp_object_cache->flush_group( $group );
}

function wp_cache_supports( $feature ) {
	return in_array( $feature, array( 'add_multiple', 'set_multiple', 'get_multiple', 'delete_multiple', 'flush_runtime', 'flush_group' ), true );
}

function wp_cache_close() {
	global $wp_object_cache;
	return $wp_object_cache->close();
}

function wp_cache_add_global_groups( $groups ) {
	global $wp_object_cache;
	$wp_object_cache->add_global_groups( $groups );
}

function wp_cache_add_non_persistent_groups( $groups ) {
	global $wp_object_cache;
	$wp_object_cache->add_non_persistent_groups( $groups );
}

function wp_cache_switch_to_blog( $blog_id ) {
	global $wp_object_cache;
	$wp_object_cache->switch_to_blog( $blog_id );
}

/**
 * @deprecated 3.5.0 Use wp_cache_switch_to_blog().
 */
function wp_cache_reset() {
	if ( function_exists( '_deprecated_function' ) ) {
		_deprecated_function( __FUNCTION__, '3.5.0', 'wp_cache_switch_to_blog()' );
	}
	global $wp_object_cache;
	$wp_object_cache->reset();
}

class WP_Object_Cache {

	/** In-request cache: $cache[ group ][ "{blog part}:{key}" ] = value. */
	public $cache = array();

	/** Unix times at which in-request entries stop being valid (entries with a TTL). */
	public $expires = array();

	public $cache_hits = 0;

	public $cache_misses = 0;

	/** Commands sent to Redis in this request. */
	public $redis_calls = 0;

	/** group => true */
	public $global_groups = array();

	/** group => true; never sent to Redis. */
	public $non_persistent_groups = array();

	/** The blog part of keys in non-global groups (the current blog id). */
	public $blog_prefix = '1';

	public $multisite = false;

	/** Prefix of every key of this site. */
	public $key_salt = '';

	/** Whether this request talks to Redis. */
	public $redis_connected = false;

	/** Why it does not, if it does not. */
	public $redis_error = '';

	/** Redis connection, or null when running on the in-request cache only. */
	private $redis = null;

	/** The error was logged already in this process. */
	private static $logged = false;

	/**
	 * incr/decr in one step on the server. Returns the new value; {0} when the key
	 * does not exist; {1} when the stored value is not a plain integer, or too large
	 * for Lua's doubles to carry exactly (the caller then computes in PHP). Results
	 * below zero become zero, keeping the TTL.
	 */
	const INCR_SCRIPT = <<<'LUA'
local v = redis.call('GET', KEYS[1])
if not v then return {0} end
if not string.match(v, '^%-?%d+$') or string.len(v) > 15 or string.len(ARGV[1]) > 15 then return {1} end
local n = redis.call('INCRBY', KEYS[1], ARGV[1])
if n < 0 then
  redis.call('SET', KEYS[1], '0', 'KEEPTTL')
  n = 0
end
return n
LUA;

	public function __construct() {
		$this->multisite   = function_exists( 'is_multisite' ) && is_multisite();
		$this->blog_prefix = $this->multisite && function_exists( 'get_current_blog_id' ) ? (string) get_current_blog_id() : '1';

		// A salt given with its separator ("site:") gives the same keys as "site".
		$salt = defined( 'WP_CACHE_KEY_SALT' ) ? rtrim( (string) WP_CACHE_KEY_SALT, ':' ) : '';
		if ( '' !== $salt ) {
			$this->key_salt = $salt;
		} else {
			// No salt configured: still keep this site apart from others.
			$this->key_salt = 'wp' . substr( md5( ( defined( 'DB_NAME' ) ? DB_NAME : '' ) . '|' . ( $GLOBALS['table_prefix'] ?? '' ) ), 0, 12 );
		}
		$this->connect();
	}

	// -- Redis connection --------------------------------------------------

	private function connect() {
		$where = '?';
		try {
			if ( ! class_exists( 'Redis' ) ) {
				throw new Exception( 'the phpredis extension is not loaded' );
			}
			$timeout = defined( 'WPH_REDIS_TIMEOUT' ) ? (float) WPH_REDIS_TIMEOUT : 1.0;
			if ( $timeout <= 0 ) {
				$timeout = 1.0;
			}
			$socket = defined( 'WPH_REDIS_SOCKET' ) ? (string) WPH_REDIS_SOCKET : '';
			$redis  = new Redis();
			if ( '' !== $socket ) {
				$where = "unix:$socket";
				$ok    = $redis->connect( $socket, 0, $timeout, null, 0, $timeout );
			} else {
				$host  = defined( 'WPH_REDIS_HOST' ) && '' !== (string) WPH_REDIS_HOST ? (string) WPH_REDIS_HOST : '127.0.0.1';
				$port  = defined( 'WPH_REDIS_PORT' ) ? (int) WPH_REDIS_PORT : 6379;
				$where = "$host:$port";
				$ok    = $redis->connect( $host, $port, $timeout, null, 0, $timeout );
			}
			if ( ! $ok ) {
				throw new Exception( 'connection failed' );
			}
			if ( defined( 'WPH_REDIS_PASSWORD' ) && '' !== WPH_REDIS_PASSWORD && null !== WPH_REDIS_PASSWORD ) {
				if ( ! $redis->auth( WPH_REDIS_PASSWORD ) ) {
					throw new Exception( 'AUTH was refused' );
				}
			}
			$database = defined( 'WPH_REDIS_DATABASE' ) ? (int) WPH_REDIS_DATABASE : 0;
			if ( 0 !== $database && ! $redis->select( $database ) ) {
				throw new Exception( "SELECT $database was refused" );
			}
			$redis->setOption( Redis::OPT_SCAN, Redis::SCAN_RETRY );
			$this->redis           = $redis;
			$this->redis_connected = true;
		} catch ( Throwable $e ) {
			$this->lose_redis( "cannot use Redis at $where: " . $e->getMessage() );
		}
	}

	/** From now on this request runs on the in-request cache only. */
	private function lose_redis( string $why ) {
		$this->redis           = null;
		$this->redis_connected = false;
		$this->redis_error     = $why;
		if ( ! self::$logged ) {
			self::$logged = true;
			error_log( "libwphost object cache ({$this->key_salt}): $why; using the in-request cache only" );
		}
	}

	/**
	 * Runs $command against Redis. Returns null when there is no Redis (or it just
	 * failed), else what phpredis returned.
	 */
	private function redis( callable $command ) {
		if ( null === $this->redis ) {
			return null;
		}
		try {
			++$this->redis_calls;
			return $command( $this->redis );
		} catch ( Throwable $e ) {
			$this->lose_redis( 'Redis failed: ' . $e->getMessage() );
			return null;
		}
	}

	public function close() {
		if ( null !== $this->redis ) {
			try {
				$this->redis->close();
			} catch ( Throwable $e ) {
				// Closing anyway.
			}
		}
		$this->redis           = null;
		$this->redis_connected = false;
		$this->redis_error     = 'closed by wp_cache_close()';
		return true;
	}

	// -- keys and values ---------------------------------------------------

	private function group( $group ): string {
		return empty( $group ) ? 'default' : (string) $group;
	}

	private function blog_part( string $group ): string {
		return isset( $this->global_groups[ $group ] ) ? 'global' : $this->blog_prefix;
	}

	private function redis_key( $key, string $group ): string {
		return $this->key_salt . ':' . $this->blog_part( $group ) . ':' . $group . ':' . $key;
	}

	private function persistent( string $group ): bool {
		return null !== $this->redis && ! isset( $this->non_persistent_groups[ $group ] );
	}

	protected function is_valid_key( $key ): bool {
		if ( is_int( $key ) || ( is_string( $key ) && '' !== trim( $key ) ) ) {
			return true;
		}
		if ( function_exists( '_doing_it_wrong' ) ) {
			$caller = debug_backtrace( DEBUG_BACKTRACE_IGNORE_ARGS, 2 )[1]['function'] ?? '';
			_doing_it_wrong( __CLASS__ . '::' . $caller, 'Cache key must be an integer or a non-empty string.', '6.1.0' );
		}
		return false;
	}

	private static function encode( $data ): string {
		return is_int( $data ) ? (string) $data : serialize( $data );
	}

	/** Returns array( found, value ). */
	private static function decode( $raw ): array {
		if ( ! is_string( $raw ) ) {
			return array( false, false );
		}
		if ( (string) (int) $raw === $raw ) {
			return array( true, (int) $raw );
		}
		$value = @unserialize( $raw );
		if ( false === $value && 'b:0;' !== $raw ) {
			return array( false, false ); // Not ours, or damaged: a miss.
		}
		return array( true, $value );
	}

	private static function copy( $data ) {
		return is_object( $data ) ? clone $data : $data;
	}

	private function remember( string $group, string $id, $data, int $expire ) {
		$this->cache[ $group ][ $id ] = self::copy( $data );
		if ( $expire > 0 ) {
			$this->expires[ $group ][ $id ] = time() + $expire;
		} else {
			unset( $this->expires[ $group ][ $id ] );
		}
	}

	private function forget( string $group, string $id ) {
		unset( $this->cache[ $group ][ $id ], $this->expires[ $group ][ $id ] );
	}

	/** Whether the in-request cache holds a live entry. */
	private function held( string $group, string $id ): bool {
		if ( ! isset( $this->cache[ $group ] ) || ! array_key_exists( $id, $this->cache[ $group ] ) ) {
			return false;
		}
		if ( isset( $this->expires[ $group ][ $id ] ) && $this->expires[ $group ][ $id ] <= time() ) {
			$this->forget( $group, $id );
			return false;
		}
		return true;
	}

	private static function set_options( int $expire, ?string $condition = null ): array {
		$options = array();
		if ( null !== $condition ) {
			$options[] = $condition;
		}
		if ( $expire > 0 ) {
			$options['ex'] = $expire;
		}
		return $options;
	}

	// -- the cache API -----------------------------------------------------

	public function get( $key, $group = 'default', $force = false, &$found = null ) {
		$found = false;
		if ( ! $this->is_valid_key( $key ) ) {
			return false;
		}
		$group = $this->group( $group );
		$id    = $this->blog_part( $group ) . ':' . $key;

		if ( ( ! $force || ! $this->persistent( $group ) ) && $this->held( $group, $id ) ) {
			$found = true;
			++$this->cache_hits;
			return self::copy( $this->cache[ $group ][ $id ] );
		}
		if ( $this->persistent( $group ) ) {
			$rkey = $this->redis_key( $key, $group );
			$raw  = $this->redis(
				function ( $r ) use ( $rkey ) {
					return $r->get( $rkey );
				}
			);
			list( $hit, $value ) = self::decode( $raw );
			if ( $hit ) {
				$this->remember( $group, $id, $value, 0 );
				$found = true;
				++$this->cache_hits;
				return $value;
			}
			if ( null === $raw && $this->held( $group, $id ) ) {
				// Redis just went away; what this request holds is still the best answer.
				$found = true;
				++$this->cache_hits;
				return self::copy( $this->cache[ $group ][ $id ] );
			}
			if ( false === $raw ) {
				$this->forget( $group, $id );
			}
		}
		++$this->cache_misses;
		return false;
	}

	public function get_multiple( $keys, $group = 'default', $force = false ) {
		$group  = $this->group( $group );
		$values = array();
		$fetch  = array(); // Redis key => cache key
		foreach ( (array) $keys as $key ) {
			if ( ! $this->is_valid_key( $key ) ) {
				$values[ $key ] = false;
				continue;
			}
			$id = $this->blog_part( $group ) . ':' . $key;
			if ( ( ! $force || ! $this->persistent( $group ) ) && $this->held( $group, $id ) ) {
				$values[ $key ] = self::copy( $this->cache[ $group ][ $id ] );
				++$this->cache_hits;
				continue;
			}
			$values[ $key ] = false;
			if ( $this->persistent( $group ) ) {
				$fetch[ $this->redis_key( $key, $group ) ] = $key;
			} else {
				++$this->cache_misses;
			}
		}
		if ( $fetch ) {
			$rkeys = array_keys( $fetch );
			$raws  = $this->redis(
				function ( $r ) use ( $rkeys ) {
					return $r->mget( $rkeys );
				}
			);
			foreach ( array_values( $fetch ) as $i => $key ) {
				$id                  = $this->blog_part( $group ) . ':' . $key;
				list( $hit, $value ) = self::decode( is_array( $raws ) ? ( $raws[ $i ] ?? false ) : false );
				if ( $hit ) {
					$this->remember( $group, $id, $value, 0 );
					$values[ $key ] = $value;
					++$this->cache_hits;
				} elseif ( null === $raws && $this->held( $group, $id ) ) {
					$values[ $key ] = self::copy( $this->cache[ $group ][ $id ] );
					++$this->cache_hits;
				} else {
					++$this->cache_misses;
				}
			}
		}
		return $values;
	}

	public function set( $key, $data, $group = 'default', $expire = 0 ) {
		if ( ! $this->is_valid_key( $key ) ) {
			return false;
		}
		$group  = $this->group( $group );
		$expire = max( 0, (int) $expire );
		if ( $this->persistent( $group ) ) {
			$rkey    = $this->redis_key( $key, $group );
			$encoded = self::encode( $data );
			$this->redis(
				function ( $r ) use ( $rkey, $encoded, $expire ) {
					return $r->set( $rkey, $encoded, self::set_options( $expire ) );
				}
			);
		}
		$this->remember( $group, $this->blog_part( $group ) . ':' . $key, $data, $expire );
		return true;
	}

	public function set_multiple( array $data, $group = '', $expire = 0 ) {
		$group  = $this->group( $group );
		$expire = max( 0, (int) $expire );
		$result = array();
		$send   = array();
		foreach ( $data as $key => $value ) {
			if ( ! $this->is_valid_key( $key ) ) {
				$result[ $key ] = false;
				continue;
			}
			$this->remember( $group, $this->blog_part( $group ) . ':' . $key, $value, $expire );
			$result[ $key ] = true;
			if ( $this->persistent( $group ) ) {
				$send[ $this->redis_key( $key, $group ) ] = self::encode( $value );
			}
		}
		if ( $send ) {
			$this->redis(
				function ( $r ) use ( $send, $expire ) {
					$r->multi( Redis::PIPELINE );
					foreach ( $send as $rkey => $encoded ) {
						$r->set( $rkey, $encoded, self::set_options( $expire ) );
					}
					return $r->exec();
				}
			);
		}
		return $result;
	}

	public function add( $key, $data, $group = 'default', $expire = 0 ) {
		if ( function_exists( 'wp_suspend_cache_addition' ) && wp_suspend_cache_addition() ) {
			return false;
		}
		if ( ! $this->is_valid_key( $key ) ) {
			return false;
		}
		$group  = $this->group( $group );
		$expire = max( 0, (int) $expire );
		$id     = $this->blog_part( $group ) . ':' . $key;
		if ( $this->held( $group, $id ) ) {
			return false;
		}
		if ( $this->persistent( $group ) ) {
			$rkey    = $this->redis_key( $key, $group );
			$encoded = self::encode( $data );
			$added   = $this->redis(
				function ( $r ) use ( $rkey, $encoded, $expire ) {
					return $r->set( $rkey, $encoded, self::set_options( $expire, 'nx' ) );
				}
			);
			if ( false === $added ) {
				return false; // Another request has it.
			}
		}
		$this->remember( $group, $id, $data, $expire );
		return true;
	}

	public function add_multiple( array $data, $group = '', $expire = 0 ) {
		$suspended = function_exists( 'wp_suspend_cache_addition' ) && wp_suspend_cache_addition();
		$group     = $this->group( $group );
		$expire    = max( 0, (int) $expire );
		$result    = array();
		$send      = array(); // list of array( key, Redis key, encoded value )
		foreach ( $data as $key => $value ) {
			$id = $this->blog_part( $group ) . ':' . $key;
			if ( $suspended || ! $this->is_valid_key( $key ) || $this->held( $group, $id ) ) {
				$result[ $key ] = false;
			} elseif ( $this->persistent( $group ) ) {
				$result[ $key ] = false; // Decided below; keeps the order of $data.
				$send[]         = array( $key, $this->redis_key( $key, $group ), self::encode( $value ) );
			} else {
				$this->remember( $group, $id, $value, $expire );
				$result[ $key ] = true;
			}
		}
		if ( $send ) {
			$answers = $this->redis(
				function ( $r ) use ( $send, $expire ) {
					$r->multi( Redis::PIPELINE );
					foreach ( $send as list( , $rkey, $encoded ) ) {
						$r->set( $rkey, $encoded, self::set_options( $expire, 'nx' ) );
					}
					return $r->exec();
				}
			);
			foreach ( $send as $i => list( $key ) ) {
				// false: another request has it; no answer (no Redis): this request keeps it.
				$added = is_array( $answers ) ? ( $answers[ $i ] ?? false ) : true;
				if ( false !== $added ) {
					$this->remember( $group, $this->blog_part( $group ) . ':' . $key, $data[ $key ], $expire );
				}
				$result[ $key ] = false !== $added;
			}
		}
		return $result;
	}

	public function replace( $key, $data, $group = 'default', $expire = 0 ) {
		if ( ! $this->is_valid_key( $key ) ) {
			return false;
		}
		$group    = $this->group( $group );
		$expire   = max( 0, (int) $expire );
		$id       = $this->blog_part( $group ) . ':' . $key;
		$replaced = null;
		if ( $this->persistent( $group ) ) {
			$rkey     = $this->redis_key( $key, $group );
			$encoded  = self::encode( $data );
			$replaced = $this->redis(
				function ( $r ) use ( $rkey, $encoded, $expire ) {
					return $r->set( $rkey, $encoded, self::set_options( $expire, 'xx' ) );
				}
			);
		}
		if ( null === $replaced && ! $this->held( $group, $id ) ) {
			return false;
		}
		if ( false === $replaced ) {
			$this->forget( $group, $id );
			return false;
		}
		$this->remember( $group, $id, $data, $expire );
		return true;
	}

	public function delete( $key, $group = 'default', $deprecated = false ) {
		if ( ! $this->is_valid_key( $key ) ) {
			return false;
		}
		$group = $this->group( $group );
		$id    = $this->blog_part( $group ) . ':' . $key;
		$had   = $this->held( $group, $id );
		$this->forget( $group, $id );
		if ( $this->persistent( $group ) ) {
			$rkey    = $this->redis_key( $key, $group );
			$deleted = $this->redis(
				function ( $r ) use ( $rkey ) {
					return $r->del( $rkey );
				}
			);
			return $had || ( is_int( $deleted ) && $deleted > 0 );
		}
		return $had;
	}

	public function delete_multiple( array $keys, $group = '' ) {
		$group  = $this->group( $group );
		$result = array();
		$send   = array(); // list of array( key, Redis key )
		foreach ( $keys as $key ) {
			if ( ! $this->is_valid_key( $key ) ) {
				$result[ $key ] = false;
				continue;
			}
			$id             = $this->blog_part( $group ) . ':' . $key;
			$result[ $key ] = $this->held( $group, $id );
			$this->forget( $group, $id );
			if ( $this->persistent( $group ) ) {
				$send[] = array( $key, $this->redis_key( $key, $group ) );
			}
		}
		if ( $send ) {
			$answers = $this->redis(
				function ( $r ) use ( $send ) {
					$r->multi( Redis::PIPELINE );
					foreach ( $send as list( , $rkey ) ) {
						$r->del( $rkey );
					}
					return $r->exec();
				}
			);
			foreach ( $send as $i => list( $key ) ) {
				if ( is_array( $answers ) && is_int( $answers[ $i ] ?? null ) && $answers[ $i ] > 0 ) {
					$result[ $key ] = true;
				}
			}
		}
		return $result;
	}

	public function incr( $key, $offset = 1, $group = 'default' ) {
		return $this->change( $key, (int) $offset, $group );
	}

	public function decr( $key, $offset = 1, $group = 'default' ) {
		return $this->change( $key, -(int) $offset, $group );
	}

	/** incr/decr: false for a missing key, non-numbers count as 0, never below 0. */
	private function change( $key, int $offset, $group ) {
		if ( ! $this->is_valid_key( $key ) ) {
			return false;
		}
		$group = $this->group( $group );
		$id    = $this->blog_part( $group ) . ':' . $key;

		if ( $this->persistent( $group ) ) {
			$rkey   = $this->redis_key( $key, $group );
			$answer = $this->redis(
				function ( $r ) use ( $rkey, $offset ) {
					return $r->eval( self::INCR_SCRIPT, array( $rkey, (string) $offset ), 1 );
				}
			);
			if ( is_int( $answer ) ) {
				$this->remember( $group, $id, $answer, 0 );
				return $answer;
			}
			if ( array( 0 ) === $answer ) {
				$this->forget( $group, $id );
				return false;
			}
			if ( array( 1 ) === $answer ) {
				// Stored as something other than a plain integer: compute here,
				// write back keeping the TTL.
				$raw = $this->redis(
					function ( $r ) use ( $rkey ) {
						return $r->get( $rkey );
					}
				);
				list( $hit, $value ) = self::decode( $raw );
				if ( ! $hit ) {
					return false;
				}
				$value   = self::add_offset( $value, $offset );
				$encoded = self::encode( $value );
				$this->redis(
					function ( $r ) use ( $rkey, $encoded ) {
						return $r->set( $rkey, $encoded, array( 'xx', 'KEEPTTL' ) );
					}
				);
				$this->remember( $group, $id, $value, 0 );
				return $value;
			}
			// No Redis (any more): fall through to the in-request cache.
		}

		if ( ! $this->held( $group, $id ) ) {
			return false;
		}
		$value                        = self::add_offset( $this->cache[ $group ][ $id ], $offset );
		$this->cache[ $group ][ $id ] = $value;
		return $value;
	}

	private static function add_offset( $value, int $offset ) {
		if ( ! is_numeric( $value ) ) {
			$value = 0;
		}
		$value += $offset;
		return $value < 0 ? 0 : $value;
	}

	/** Deletes this site's keys (all blogs of a network); never other sites'. */
	public function flush() {
		$this->flush_runtime();
		if ( null === $this->redis ) {
			// Nothing in Redis could be deleted: say so unless Redis was never used.
			return '' === $this->redis_error || str_starts_with( $this->redis_error, 'closed' );
		}
		$pattern = self::glob_escape( $this->key_salt . ':' ) . '*';
		return $this->delete_matching( $pattern, null );
	}

	public function flush_runtime() {
		$this->cache   = array();
		$this->expires = array();
		return true;
	}

	/** Deletes one group, for every blog. */
	public function flush_group( $group ) {
		$group = $this->group( $group );
		unset( $this->cache[ $group ], $this->expires[ $group ] );
		if ( isset( $this->non_persistent_groups[ $group ] ) ) {
			return true;
		}
		if ( null === $this->redis ) {
			return '' === $this->redis_error || str_starts_with( $this->redis_error, 'closed' );
		}
		$salt    = $this->key_salt . ':';
		$pattern = self::glob_escape( $salt ) . '*:' . self::glob_escape( $group . ':' ) . '*';
		// '*' could span a ':' inside a key of another group; keep only keys whose
		// blog part (which has no ':') is followed by exactly this group.
		$wanted = function ( string $rkey ) use ( $salt, $group ): bool {
			$rest  = substr( $rkey, strlen( $salt ) );
			$colon = strpos( $rest, ':' );
			return false !== $colon && str_starts_with( substr( $rest, $colon + 1 ), $group . ':' );
		};
		return $this->delete_matching( $pattern, $wanted );
	}

	private function delete_matching( string $pattern, ?callable $wanted ): bool {
		$done = $this->redis(
			function ( $r ) use ( $pattern, $wanted ) {
				$cursor = null;
				while ( false !== ( $keys = $r->scan( $cursor, $pattern, 1000 ) ) ) {
					if ( $wanted ) {
						$keys = array_values( array_filter( $keys, $wanted ) );
					}
					if ( $keys ) {
						$r->unlink( $keys );
					}
				}
				return true;
			}
		);
		return true === $done;
	}

	private static function glob_escape( string $text ): string {
		return addcslashes( $text, '*?[]^\\' );
	}

	public function add_global_groups( $groups ) {
		$groups              = array_map( 'strval', (array) $groups );
		$this->global_groups = array_merge( $this->global_groups, array_fill_keys( $groups, true ) );
	}

	public function add_non_persistent_groups( $groups ) {
		$groups                      = array_map( 'strval', (array) $groups );
		$this->non_persistent_groups = array_merge( $this->non_persistent_groups, array_fill_keys( $groups, true ) );
	}

	public function switch_to_blog( $blog_id ) {
		if ( $this->multisite ) {
			$this->blog_prefix = (string) (int) $blog_id;
		}
	}

	/** @deprecated 3.5.0 Kept for wp_cache_reset(): drops per-blog entries of this request. */
	public function reset() {
		foreach ( array_keys( $this->cache ) as $group ) {
			if ( ! isset( $this->global_groups[ $group ] ) ) {
				unset( $this->cache[ $group ], $this->expires[ $group ] );
			}
		}
	}

	public function stats() {
		echo '<p><strong>Cache hits:</strong> ' . (int) $this->cache_hits . '<br />';
		echo '<strong>Cache misses:</strong> ' . (int) $this->cache_misses . '<br />';
		echo '<strong>Redis:</strong> ' . ( $this->redis_connected ? 'connected, ' . (int) $this->redis_calls . ' commands' : 'not used (' . htmlspecialchars( $this->redis_error ) . ')' ) . '</p><ul>';
		foreach ( $this->cache as $group => $entries ) {
			echo '<li>' . htmlspecialchars( (string) $group ) . ': ' . count( $entries ) . '</li>';
		}
		echo '</ul>';
	}
}
