<?php
// The demo's PHP pool: one php-cgi child per worker, managed by FcgiPool.
header('Content-Type: text/plain; charset=utf-8');
echo "Hello from PHP ", PHP_VERSION, " in php-cgi child ", getmypid(), "\n";
echo "method: ", $_SERVER['REQUEST_METHOD'], ", uri: ", $_SERVER['REQUEST_URI'], "\n";
if ($_SERVER['REQUEST_METHOD'] === 'POST') {
    $body = file_get_contents('php://input');
    echo "received ", strlen($body), " bytes, sha256 ", hash('sha256', $body), "\n";
}
