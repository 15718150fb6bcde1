<?php
// Answers the FastCGI client's interop tests (dev.fcgi.protocol.client.*InteropTest):
//   ?size=N      N bytes of a fixed pattern (byte i of each 64 KiB block is i % 251), echoed in chunks
//   POST         the request body echoed, with its length and SHA-256 in headers
//   otherwise    status 201, two X-Custom headers, a cookie, a line on stderr and a greeting
if (isset($_GET['size'])) {
    $size = (int) $_GET['size'];
    header('Content-Type: application/octet-stream');
    $block = '';
    for ($i = 0; $i < 65536; $i++) {
        $block .= chr($i % 251);
    }
    for ($left = $size; $left > 0; $left -= 65536) {
        echo $left >= 65536 ? $block : substr($block, 0, $left);
    }
    exit;
}
if ($_SERVER['REQUEST_METHOD'] === 'POST') {
    $body = file_get_contents('php://input');
    header('Content-Type: application/octet-stream');
    header('X-Body-Length: ' . strlen($body));
    header('X-Body-Sha256: ' . hash('sha256', $body));
    echo $body;
    exit;
}
http_response_code(201);
header('X-Custom: one');
header('X-Custom: two', false);
setcookie('session', 'abc123');
header('Content-Type: text/plain; charset=utf-8');
error_log('interop stderr line');
echo 'hello ' . ($_GET['name'] ?? 'world') . ' from pid ' . getmypid();
