/**
 * An HTTP/1.1 front for FastCGI applications: {@link dev.fcgi.protocol.gateway.HttpGateway} accepts HTTP
 * requests, turns each into a FastCGI request with the CGI variables nginx would send, and streams the answer
 * back, with bounded memory both ways.
 */
package dev.fcgi.protocol.gateway;
