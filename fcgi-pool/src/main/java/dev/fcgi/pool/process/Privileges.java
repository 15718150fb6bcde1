package dev.fcgi.pool.process;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Who the children run as, FPM's {@code user} and {@code group}: applied with {@code setpriv} when the host runs as
 * root (a root host must name a user other than root, as FPM requires), ignored with FPM's notice otherwise. Every
 * child also gets a parent-death signal from {@code setpriv}, so that it dies with the JVM.
 */
final class Privileges {

    private static final Logger logger = LoggerFactory.getLogger(Privileges.class);

    private final Path setpriv;       // null when missing and not needed
    private final boolean pdeathsig;  // setpriv knows --pdeathsig
    private final long uid;           // -1: the host's
    private final long gid;
    private final boolean knownUser;  // the user has a passwd entry: its supplementary groups are set

    private Privileges(Path setpriv, long uid, long gid, boolean knownUser) {
        this.setpriv = setpriv;
        this.pdeathsig = setpriv != null && SystemTools.mentionsOption(setpriv, "--pdeathsig");
        if (setpriv != null && !pdeathsig) {
            logger.warn("{} has no --pdeathsig (util-linux before 2.33): children survive a JVM killed with SIGKILL",
                    setpriv);
        }
        this.uid = uid;
        this.gid = gid;
        this.knownUser = knownUser;
    }

    /** Resolves {@code user} and {@code group} for the pool, with FPM's messages for what is wrong. */
    static Privileges resolve(String pool, String user, String group) {
        if (!SystemTools.isRoot()) {
            if (user != null || group != null) {
                logger.info("[pool {}] 'user' and 'group' directives are ignored when the host does not run as root",
                        pool);
            }
            Path setpriv = SystemTools.find("setpriv").orElse(null);
            if (setpriv == null) {
                logger.warn("[pool {}] the 'setpriv' program (util-linux) is not on the PATH: children get no "
                        + "parent-death signal and survive a JVM killed with SIGKILL", pool);
            }
            return new Privileges(setpriv, -1, -1, false);
        }
        if (user == null || user.isBlank()) {
            throw new IllegalStateException("[pool " + pool + "] user has not been defined (the host runs as root,"
                    + " and children never do)");
        }
        Path setpriv = SystemTools.require("setpriv", "[pool " + pool + "] user", "util-linux");
        boolean numeric = user.chars().allMatch(Character::isDigit);
        long[] ids = SystemTools.userIds(user).orElse(null);
        if (ids == null && !numeric) {
            throw new IllegalStateException("[pool " + pool + "] cannot get uid for user '" + user + "'");
        }
        long uid = ids != null ? ids[0] : Long.parseLong(user);
        long gid = ids != null ? ids[1] : -1;
        if (group != null && !group.isBlank()) {
            gid = SystemTools.groupId(group).orElseThrow(() -> new IllegalStateException(
                    "[pool " + pool + "] cannot get gid for group '" + group + "'"));
        }
        if (gid < 0) {
            throw new IllegalStateException("[pool " + pool + "] user " + user
                    + " has no passwd entry: set 'group' too");
        }
        if (uid == 0 || gid == 0) {
            throw new IllegalStateException("[pool " + pool + "] please specify user and group other than root");
        }
        return new Privileges(setpriv, uid, gid, ids != null);
    }

    /** The {@code setpriv ... --} prefix of a child's command line, or nothing without setpriv. */
    List<String> setprivArguments() {
        List<String> args = new ArrayList<>();
        if (setpriv == null || (uid < 0 && !pdeathsig)) {
            return args;
        }
        args.add(setpriv.toString());
        if (uid >= 0) {
            args.add("--reuid=" + uid);
            args.add("--regid=" + gid);
            args.add(knownUser ? "--init-groups" : "--clear-groups");
        }
        if (pdeathsig) {
            args.add("--pdeathsig");  // setpriv applies it after the uid change, which would clear it
            args.add("KILL");
        }
        args.add("--");
        return args;
    }

    /** Gives the children's private directory to their user and group, when they are not the host's. */
    void own(Path dir) throws IOException {
        if (uid >= 0) {
            Files.setAttribute(dir, "unix:uid", (int) uid);
            Files.setAttribute(dir, "unix:gid", (int) gid);
        }
    }
}
