<?php
// What a PHP script sees of the request the gateway passed on.
header('Content-Type: application/json');
echo json_encode([
    'script' => $_SERVER['SCRIPT_NAME'],
    'path_info' => $_SERVER['PATH_INFO'] ?? null,
    'query' => $_GET,
    'cookies' => $_COOKIE,
    'remote_addr' => $_SERVER['REMOTE_ADDR'],
    'pid' => getmypid(),
], JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES), "\n";
