package dev.fcgi.protocol.server;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.EnumSet;
import java.util.Set;

/**
 * The owner, group and mode a server gives the socket file of each Unix domain socket it binds, as php-fpm's
 * {@code listen.owner}, {@code listen.group} and {@code listen.mode} do. Users and groups are looked up once, before
 * anything is bound; what is left unset stays as bind(2) created it.
 */
final class UnixSocketPermissions {

    /** No mode set: {@link FcgiServer.Builder#unixSocketMode(int)} was not called. */
    static final int UNSET = -1;

    private final UserPrincipal owner;
    private final GroupPrincipal group;
    private final int mode;

    private UnixSocketPermissions(UserPrincipal owner, GroupPrincipal group, int mode) {
        this.owner = owner;
        this.group = group;
        this.mode = mode;
    }

    /**
     * Looks up {@code owner} and {@code group}, names or numeric ids; {@code null} leaves them unchanged, as
     * {@link #UNSET} leaves the mode.
     *
     * @throws IOException naming the setting and the user or group when there is no such user or group
     */
    static UnixSocketPermissions lookup(String owner, String group, int mode) throws IOException {
        UserPrincipalLookupService users = FileSystems.getDefault().getUserPrincipalLookupService();
        UserPrincipal ownerPrincipal = null;
        if (owner != null) {
            try {
                ownerPrincipal = users.lookupPrincipalByName(owner);
            } catch (UserPrincipalNotFoundException e) {
                throw new IOException("unixSocketOwner: no such user '" + owner + "'", e);
            }
        }
        GroupPrincipal groupPrincipal = null;
        if (group != null) {
            try {
                groupPrincipal = users.lookupPrincipalByGroupName(group);
            } catch (UserPrincipalNotFoundException e) {
                throw new IOException("unixSocketGroup: no such group '" + group + "'", e);
            }
        }
        return new UnixSocketPermissions(ownerPrincipal, groupPrincipal, mode);
    }

    /**
     * Sets the mode, then the group, then the owner of {@code socket}: once the file is another user's, this one may
     * no longer change it.
     *
     * @throws IOException naming the file, the attribute and the reason when one cannot be set
     */
    void applyTo(Path socket) throws IOException {
        if (owner == null && group == null && mode == UNSET) {
            return;
        }
        PosixFileAttributeView view = Files.getFileAttributeView(socket, PosixFileAttributeView.class);
        if (view == null) {
            throw new IOException("cannot set the owner, group or mode of " + socket + ": no POSIX file attributes");
        }
        if (mode != UNSET) {
            try {
                view.setPermissions(permissions(mode));
            } catch (IOException e) {
                throw failure(socket, "mode", octal(mode), e);
            }
        }
        if (group != null) {
            try {
                view.setGroup(group);
            } catch (IOException e) {
                throw failure(socket, "group", group.getName(), e);
            }
        }
        if (owner != null) {
            try {
                view.setOwner(owner);
            } catch (IOException e) {
                throw failure(socket, "owner", owner.getName(), e);
            }
        }
    }

    /** {@code 0660} for 0660: the way php-fpm's {@code listen.mode} and chmod(1) write a mode. */
    static String octal(int mode) {
        return mode < 0 ? Integer.toString(mode) : "0" + Integer.toOctalString(mode);
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> permissions = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = PosixFilePermission.values();   // OWNER_READ (0400) down to OTHERS_EXECUTE (01)
        for (int i = 0; i < bits.length; i++) {
            if ((mode & (0400 >> i)) != 0) {
                permissions.add(bits[i]);
            }
        }
        return permissions;
    }

    private static IOException failure(Path socket, String what, String value, IOException e) {
        String reason = e instanceof FileSystemException fs && fs.getReason() != null ? fs.getReason() : e.toString();
        return new IOException("cannot set the " + what + " of " + socket + " to " + value + ": " + reason, e);
    }
}
