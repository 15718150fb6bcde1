package dev.fcgi.protocol.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes seed files of the Jazzer fuzz targets into fcgi-protocol's source tree, where Jazzer looks for them:
 * {@code src/test/resources/<package>/<Class>Inputs/<method>/}. Used by the tools that regenerate the seed corpus
 * (run on demand; see the README's "Fuzzing" section), from fcgi-protocol or from a sibling module.
 */
public final class FuzzSeeds {

    /** The fuzz targets, with the test method whose inputs they are. */
    public enum Target {
        RECORD_DECODER("dev.fcgi.protocol.RecordDecoderFuzzTest", "decode"),
        NAME_VALUE_DECODER("dev.fcgi.protocol.NameValueDecoderFuzzTest", "decode"),
        SERVER_PIPELINE("dev.fcgi.protocol.server.ServerPipelineFuzzTest", "serve"),
        CGI_RESPONSE_PARSER("dev.fcgi.protocol.client.CgiResponseParserFuzzTest", "parse"),
        CLIENT_RESPONSE("dev.fcgi.protocol.client.ClientResponseFuzzTest", "respond");

        private final String className;
        private final String method;

        Target(String className, String method) {
            this.className = className;
            this.method = method;
        }

        /** The directory of this target's seeds and findings, relative to the test resources. */
        String inputs() {
            return className.replace('.', '/') + "Inputs/" + method;
        }
    }

    /** Set to {@code true} to let the seed writers run. */
    public static final String WRITE_PROPERTY = "fcgi.fuzz.writeSeeds";

    private FuzzSeeds() {
    }

    /**
     * Writes {@code stream}, as {@link FuzzInput#seed} frames it, to the file {@code seed-<name>} of {@code target}'s
     * inputs, replacing an older one.
     */
    public static Path write(Target target, String name, byte[] stream) {
        Path dir = resources().resolve(target.inputs());
        try {
            Files.createDirectories(dir);
            return Files.write(dir.resolve("seed-" + name), FuzzInput.seed(stream));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** fcgi-protocol's test resources, from that module's directory or a sibling's (Maven's working directory). */
    private static Path resources() {
        for (String candidate : new String[] {"src/test/resources", "../fcgi-protocol/src/test/resources"}) {
            Path dir = Path.of(candidate);
            if (Files.isRegularFile(dir.resolve("php/interop.php"))) {
                return dir;
            }
        }
        throw new IllegalStateException("fcgi-protocol/src/test/resources not found from "
                + Path.of("").toAbsolutePath());
    }
}
