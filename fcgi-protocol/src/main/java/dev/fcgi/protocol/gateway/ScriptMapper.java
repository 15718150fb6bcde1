package dev.fcgi.protocol.gateway;

import io.netty.handler.codec.http.HttpResponseStatus;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Maps a request's normalised path ({@link RequestPath#path()}) to the script that answers it, in one of two modes:
 *
 * <ul>
 *   <li><b>File mode</b> (default): the path names a script under the document root. It is split into
 *       {@code SCRIPT_NAME} and {@code PATH_INFO} by a pattern with two groups, as nginx's
 *       {@code fastcgi_split_path_info ^(.+?\.php)(/.*)$} does; when the pattern does not match, the whole path is
 *       the script and {@code PATH_INFO} is empty. A script name ending in {@code /} gets the index script
 *       appended (nginx's {@code fastcgi_index}).</li>
 *   <li><b>Front controller mode</b>: every path goes to one script; {@code SCRIPT_NAME} is that script and
 *       {@code PATH_INFO} the whole path.</li>
 * </ul>
 *
 * Whatever the pattern captures, a script name with a {@code ..} segment is refused (400), so a request never
 * names a file outside the document root. Strings are byte strings, as in {@link RequestPath}. Immutable.
 */
final class ScriptMapper {

    /** What a path maps to: {@code SCRIPT_NAME} (starting with {@code /}) and {@code PATH_INFO} (may be empty). */
    record Target(String scriptName, String pathInfo) {
    }

    private final Pattern splitPathInfo;
    private final String index;
    private final String frontController;

    /**
     * @param splitPathInfo   a pattern with two groups: the script name and the path info
     * @param index           appended to a script name ending in {@code /}
     * @param frontController the one script of front controller mode, starting with {@code /}; null for file mode
     */
    ScriptMapper(Pattern splitPathInfo, String index, String frontController) {
        this.splitPathInfo = splitPathInfo;
        this.index = index;
        this.frontController = frontController;
    }

    /**
     * The script and path info for {@code path}.
     *
     * @throws HttpStatusException 400 when the script name would leave the document root
     */
    Target map(String path) throws HttpStatusException {
        if (frontController != null) {
            return new Target(frontController, path);
        }
        String script = path;
        String pathInfo = "";
        Matcher matcher = splitPathInfo.matcher(path);
        if (matcher.matches()) {
            script = matcher.group(1) == null ? "" : matcher.group(1);
            pathInfo = matcher.group(2) == null ? "" : matcher.group(2);
        }
        if (!script.startsWith("/")) {
            script = "/" + script;
        }
        if (script.endsWith("/")) {
            script += index;
        }
        if (RequestPath.hasDotDotSegment(script)) {
            throw new HttpStatusException(HttpResponseStatus.BAD_REQUEST,
                    "script name '" + script + "' (from path '" + path + "') has a '..' segment");
        }
        return new Target(script, pathInfo);
    }
}
