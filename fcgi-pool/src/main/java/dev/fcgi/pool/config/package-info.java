/**
 * The php-fpm.conf reader: {@link dev.fcgi.pool.config.FpmConfig} reads php-fpm's configuration (PHP's INI dialect,
 * {@code include} globs, {@code $pool}, prefixes) into a {@link dev.fcgi.pool.config.FpmGlobalConfig} and one
 * {@link dev.fcgi.pool.config.FpmPool} per pool section, with FPM's error messages, and turns the pools into
 * {@link dev.fcgi.pool.PoolDefinition}s for {@link dev.fcgi.pool.FcgiPoolManager}; {@link
 * dev.fcgi.pool.config.FpmConfig#test} is {@code php-fpm -t}.
 */
package dev.fcgi.pool.config;
