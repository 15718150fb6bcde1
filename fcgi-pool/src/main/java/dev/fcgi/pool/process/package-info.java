/**
 * Child-process workers: an {@link dev.fcgi.pool.FcgiPool} whose workers are external FastCGI programs such as
 * {@code php-cgi}, started, fed and replaced by the pool ({@link dev.fcgi.pool.process.ChildProcessWorkers}).
 */
package dev.fcgi.pool.process;
