/**
 * PHP-FPM-style process management for FastCGI workers: {@link dev.fcgi.pool.PoolConfig} (FPM's pool directives),
 * the {@link dev.fcgi.pool.PoolStrategy} SPI with FPM's static, dynamic and ondemand strategies as pure functions
 * of a {@link dev.fcgi.pool.ScoreboardSnapshot}, and {@link dev.fcgi.pool.FcgiPool}, which acts on their decisions
 * with worker threads behind an {@link dev.fcgi.protocol.server.FcgiServer}.
 */
package dev.fcgi.pool;
