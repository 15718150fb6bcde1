/**
 * Short examples, each a handler or a strategy of about 20 lines that the README shows: reading a request
 * ({@link dev.fcgi.examples.cookbook.RequestExample}), streaming a large response
 * ({@link dev.fcgi.examples.cookbook.StreamingExample}), answering first and working after
 * ({@link dev.fcgi.examples.cookbook.FinishExample}), and a pool strategy of one's own
 * ({@link dev.fcgi.examples.cookbook.QueueDepthStrategy}).
 */
package dev.fcgi.examples.cookbook;
