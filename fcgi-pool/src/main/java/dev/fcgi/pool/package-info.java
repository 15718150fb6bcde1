/**
 * PHP-FPM-style process management for FastCGI workers. So far: the {@link dev.fcgi.pool.PoolStrategy} SPI and
 * FPM's three strategies as pure functions of a {@link dev.fcgi.pool.ScoreboardSnapshot}; the pool that acts on
 * their decisions comes next.
 */
package dev.fcgi.pool;
