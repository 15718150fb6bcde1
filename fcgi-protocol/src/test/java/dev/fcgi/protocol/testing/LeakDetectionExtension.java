package dev.fcgi.protocol.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Fails a test when Netty's leak detector reported a leaked buffer during it. Registered for every test through
 * JUnit's extension autodetection (see the pom), it installs a leak detector factory before any buffer class is
 * loaded, and after each test collects garbage and allocates a little so that pending leaks get reported. The
 * inputs of a Jazzer fuzz test (tag {@code jazzer}) are checked together, after the class: collecting garbage
 * after each of them would take longer than running them.
 */
public final class LeakDetectionExtension implements AfterEachCallback, AfterAllCallback {

    private static final ConcurrentLinkedQueue<String> LEAKS = new ConcurrentLinkedQueue<>();

    /**
     * The detector's level: PARANOID unless the system property {@value #LEVEL_PROPERTY} says otherwise (the fuzzing
     * runs sample, at SIMPLE, since tracking every buffer makes them 14 times slower).
     */
    public static final String LEVEL_PROPERTY = "fcgi.leakDetection.level";

    static {
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.valueOf(
                System.getProperty(LEVEL_PROPERTY, "paranoid").toUpperCase(Locale.ROOT)));
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new RecordingFactory());
    }

    /** Set when a fuzz test's inputs ran and their check waits for the end of the class. */
    private static volatile boolean deferred;

    @Override
    public void afterEach(ExtensionContext context) {
        if (context.getTags().contains("jazzer")) {
            deferred = true;
            return;
        }
        check(context);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (deferred) {
            deferred = false;
            check(context);
        }
    }

    private static void check(ExtensionContext context) {
        List<String> leaks = collect();
        if (!leaks.isEmpty()) {
            throw new AssertionError(leaks.size() + " ByteBuf leak(s) in " + context.getDisplayName() + ":\n"
                    + String.join("\n", leaks));
        }
    }

    /** Runs garbage collection and drains the leaks reported so far. */
    public static List<String> collect() {
        for (int i = 0; i < 3; i++) {
            System.gc();
            System.runFinalization();
            // Leaks are reported when a new buffer is tracked.
            for (int j = 0; j < 4; j++) {
                ByteBuf probe = PooledByteBufAllocator.DEFAULT.buffer(8);
                probe.release();
                probe = PooledByteBufAllocator.DEFAULT.directBuffer(8);
                probe.release();
            }
        }
        List<String> leaks = new ArrayList<>();
        String leak;
        while ((leak = LEAKS.poll()) != null) {
            leaks.add(leak);
        }
        return leaks;
    }

    private static final class RecordingFactory extends ResourceLeakDetectorFactory {
        @Override
        @SuppressWarnings("deprecation")
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
                                                                   long maxActive) {
            return new ResourceLeakDetector<>(resource, samplingInterval) {
                @Override
                protected void reportTracedLeak(String resourceType, String records) {
                    LEAKS.add("LEAK: " + resourceType + records);
                    super.reportTracedLeak(resourceType, records);
                }

                @Override
                protected void reportUntracedLeak(String resourceType) {
                    LEAKS.add("LEAK: " + resourceType + " (untraced)");
                    super.reportUntracedLeak(resourceType);
                }
            };
        }
    }
}
