<?php
// Answers dev.fcgi.protocol.gateway.HttpGatewayPhpFpmTest: what PHP made of the request, as JSON.
$input = file_get_contents('php://input');
$server = [];
foreach (['REQUEST_METHOD', 'SCRIPT_NAME', 'SCRIPT_FILENAME', 'PATH_INFO', 'PATH_TRANSLATED', 'REQUEST_URI',
          'QUERY_STRING', 'DOCUMENT_ROOT', 'DOCUMENT_URI', 'CONTENT_TYPE', 'CONTENT_LENGTH', 'SERVER_NAME',
          'SERVER_PORT', 'SERVER_PROTOCOL', 'REMOTE_ADDR', 'HTTP_X_TEST', 'HTTP_HOST', 'GATEWAY_INTERFACE',
          'PHP_SELF'] as $name) {
    $server[$name] = $_SERVER[$name] ?? null;
}
setcookie('first', 'one');
setcookie('second', 'two');
header('Content-Type: application/json');
header('X-Powered-By-Test: php-fpm');
echo json_encode([
    'server' => $server,
    'get' => $_GET,
    'post' => $_POST,
    'cookie' => $_COOKIE,
    'input_length' => strlen($input),
    'input_sha256' => hash('sha256', $input),
]);
