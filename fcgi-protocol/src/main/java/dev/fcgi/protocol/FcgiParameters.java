package dev.fcgi.protocol;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * The name-value pairs of a request (its CGI variables), in the order received, duplicates kept. Values are
 * opaque bytes on the wire; {@link #get(String)} decodes them as UTF-8, {@link #getBytes(String)} returns them as
 * they came. Where a name occurs more than once, {@code get} returns the last value, as PHP's {@code $_SERVER} does,
 * and {@link #getAll(String)} returns every one. Names are compared case-sensitively, as in CGI.
 *
 * <p>Not thread-safe while it is being filled; safe to share once filled.
 */
public final class FcgiParameters {

    private final List<String> names;
    private final List<byte[]> values;
    private int encodedLength;

    /** An empty list. */
    public FcgiParameters() {
        this(16);
    }

    /** An empty list sized for about {@code expectedSize} pairs. */
    public FcgiParameters(int expectedSize) {
        names = new ArrayList<>(expectedSize);
        values = new ArrayList<>(expectedSize);
    }

    /** Adds a pair; the value is encoded as UTF-8. */
    public FcgiParameters add(String name, String value) {
        return add(name, value.getBytes(StandardCharsets.UTF_8));
    }

    /** Adds a pair with a raw value. The name is encoded as ISO-8859-1, byte for byte. */
    public FcgiParameters add(String name, byte[] value) {
        names.add(name);
        values.add(value);
        encodedLength += FcgiNameValuePairs.encodedLength(name.length(), value.length);
        return this;
    }

    /** The number of pairs. */
    public int size() {
        return names.size();
    }

    /** Whether there are no pairs. */
    public boolean isEmpty() {
        return names.isEmpty();
    }

    /** The name of the pair at {@code index}. */
    public String name(int index) {
        return names.get(index);
    }

    /** The value of the pair at {@code index}, decoded as UTF-8. */
    public String value(int index) {
        return new String(values.get(index), StandardCharsets.UTF_8);
    }

    /** The raw value of the pair at {@code index}; the array is shared, do not change it. */
    public byte[] valueBytes(int index) {
        return values.get(index);
    }

    /** The last value of {@code name} decoded as UTF-8, or {@code null} when there is none. */
    public String get(String name) {
        byte[] value = getBytes(name);
        return value == null ? null : new String(value, StandardCharsets.UTF_8);
    }

    /** The last value of {@code name}, or {@code defaultValue} when there is none. */
    public String get(String name, String defaultValue) {
        String value = get(name);
        return value == null ? defaultValue : value;
    }

    /** The last raw value of {@code name}, or {@code null}; the array is shared, do not change it. */
    public byte[] getBytes(String name) {
        for (int i = names.size() - 1; i >= 0; i--) {
            if (names.get(i).equals(name)) {
                return values.get(i);
            }
        }
        return null;
    }

    /** Every value of {@code name} in order, decoded as UTF-8. */
    public List<String> getAll(String name) {
        List<String> all = new ArrayList<>(1);
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i).equals(name)) {
                all.add(value(i));
            }
        }
        return Collections.unmodifiableList(all);
    }

    /** Whether a pair named {@code name} is present. */
    public boolean contains(String name) {
        return names.contains(name);
    }

    /** Calls {@code action} with each name and UTF-8 value, in order. */
    public void forEach(BiConsumer<String, String> action) {
        for (int i = 0; i < names.size(); i++) {
            action.accept(names.get(i), value(i));
        }
    }

    /** The number of bytes these pairs take on the wire. */
    public int encodedLength() {
        return encodedLength;
    }

    @Override
    public String toString() {
        StringBuilder buf = new StringBuilder("FcgiParameters{");
        for (int i = 0; i < names.size(); i++) {
            buf.append(i == 0 ? "" : ", ").append(names.get(i)).append('=').append(value(i));
        }
        return buf.append('}').toString();
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof FcgiParameters other) || other.size() != size() || !other.names.equals(names)) {
            return false;
        }
        for (int i = 0; i < values.size(); i++) {
            if (!Arrays.equals(values.get(i), other.values.get(i))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return names.hashCode();
    }
}
