/* The broker's data directory (DIR/data): whether it can keep what the node relies on across a
 * broker restart (sessions, the QoS 1 messages queued in them, retained status and health).
 * mosquitto itself starts happily on a full or read-only disk and says so only in its log, at
 * its first save; these checks say so where the operator looks: at up and in status. */
#define _GNU_SOURCE
#include "cli_services.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define PROBE_NAME  ".mqplane-write-check"
#define PROBE_BYTES (64 * 1024) /* More than the node's own sessions and retained messages. */
#define LOW_BYTES   (1024 * 1024)

/* Writes, syncs and removes a file of PROBE_BYTES in dir: a full disk fails the write or the
 * sync, a read-only one the open. (Root passes a permission check; not a full disk.) */
static int probe_write(const char *dir)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/" PROBE_NAME, dir);
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        return errno;
    }
    static const char block[4096];
    int err = 0;
    for (size_t done = 0; done < PROBE_BYTES && !err;) {
        ssize_t n = write(fd, block, sizeof block);
        if (n > 0) {
            done += (size_t)n;
        } else {
            err = n < 0 ? errno : ENOSPC;
        }
    }
    if (!err && fsync(fd) != 0) {
        err = errno;
    }
    if (close(fd) != 0 && !err) {
        err = errno;
    }
    unlink(path);
    return err;
}

bool svc_disk_check(const char *data, char *why, size_t len)
{
    int err = probe_write(data);
    if (err) {
        snprintf(why, len,
                 "the broker cannot save its data in %s (%s): it runs, but the sessions, the "
                 "QoS 1 messages queued in them and the retained status it holds are lost when it "
                 "restarts; free the disk or make the directory writable, then restart it",
                 data, strerror(err));
        return false;
    }
    struct statvfs v;
    if (statvfs(data, &v) == 0) {
        unsigned long long left = (unsigned long long)v.f_bavail * v.f_frsize;
        if (left < LOW_BYTES) {
            snprintf(why, len,
                     "only %llu kB free for the broker's data in %s: once it is full, the "
                     "broker's saves fail, and what it holds is lost when it restarts",
                     left / 1024, data);
            return false;
        }
    }
    why[0] = '\0';
    return true;
}

/* mosquitto's own words for a failed save: "Saving in-memory database to ...", then lines
 * that start "Error" ("Error saving in-memory database, unable to ...", "Error: No space left
 * on device."). A later save with no error after it means the disk is fine again. */
bool svc_disk_log_error(const char *log, char *out, size_t len)
{
    FILE *f = fopen(log, "r");
    out[0] = '\0';
    if (!f) {
        return false;
    }
    char line[1024];
    bool in_save = false;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        const char *text = strchr(line, ' '); /* After mosquitto's time stamp. */
        text = text ? text + 1 : line;
        if (strstr(text, " running") && strncmp(text, "mosquitto version ", 18) == 0) {
            out[0] = '\0'; /* A new start: only what happened since counts. */
            in_save = false;
        } else if (strncmp(text, "Saving in-memory database", 25) == 0) {
            out[0] = '\0';
            in_save = true;
        } else if (in_save && strncmp(text, "Error", 5) == 0) {
            size_t used = strlen(out);
            snprintf(out + used, len - used, "%s%s", used ? " " : "", text);
        } else {
            in_save = false;
        }
    }
    fclose(f);
    return out[0] != '\0';
}

bool svc_disk_db_unreadable(const char *err)
{
    FILE *f = fopen(err, "r");
    char line[1024];
    bool found = false;
    while (f && !found && fgets(line, sizeof line, f)) {
        found = strstr(line, "Unable to restore persistent database") ||
                strstr(line, "Couldn't open database");
    }
    if (f) {
        fclose(f);
    }
    return found;
}
