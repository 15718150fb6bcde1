/**
 * The FastCGI client: {@link dev.fcgi.protocol.client.FcgiClient} sends
 * {@link dev.fcgi.protocol.client.FcgiClientRequest}s to a FastCGI application (php-fpm, php-cgi, this library's
 * server) over pooled, optionally multiplexed connections, and streams back
 * {@link dev.fcgi.protocol.client.FcgiClientResponse}s.
 */
package dev.fcgi.protocol.client;
