/**
 * PHP-FPM-style process management for FastCGI workers (static, dynamic and ondemand pools). Work in progress:
 * see the README's roadmap.
 */
package dev.fcgi.pool;
