/**
 * FPM's status page for an {@link dev.fcgi.pool.FcgiPool}: {@link dev.fcgi.pool.status.StatusPage} renders a pool's
 * counters and scoreboard in FPM's text, JSON, XML, HTML and OpenMetrics formats
 * ({@link dev.fcgi.pool.status.StatusFormat}) and answers status and ping requests with FPM's headers.
 *
 * <p>The pool serves its {@code statusPath} and {@code pingPath} itself, on a thread of their own, so that they
 * answer even when every worker is busy (FPM's are served by a pool worker).
 */
package dev.fcgi.pool.status;
