#!/bin/sh
# /sbin/jvz-init: PID 1 of a jvz container, written by 'jvz template create'.
#
# runc starts it with no terminal (stdin /dev/null, output to the container's log). It
#  - sets the host name from /etc/hostname (works only where the container holds CAP_SYS_ADMIN;
#    jvz ctl also sets it through the OCI config, so a failure here is silent),
#  - starts /etc/rc.local in the background when it is executable (the place for services),
#  - reaps every orphan: the shell's wait collects any child, and orphans are re-parented to PID 1,
#  - halts cleanly on SIGTERM ('runc kill ID TERM', what 'jvz ctl stop' sends): SIGTERM to every
#    other process, up to 1 s for them to exit, SIGKILL to the rest, exit 0. The kernel ends the
#    container's PID namespace when its init exits.
#
# Why not busybox init or systemd: busybox init halts with hard-coded one-second pauses (over 3 s
# per stop) and systemd needs its own cgroup setup and SIGRTMIN+3; a shell init is enough for a
# container whose services are started by rc.local. Signals other than TERM are ignored (the
# kernel drops signals to a namespace's init that it has no handler for); SIGKILL from outside
# always works.

PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH

halt() {
    kill -TERM -1 2>/dev/null
    # kill -0 -1 succeeds while any process but this one is left (zombies count until reaped;
    # the foreground sleep's wait reaps them).
    n=0
    while [ "$n" -lt 10 ] && kill -0 -1 2>/dev/null; do
        sleep 0.1
        n=$((n + 1))
    done
    kill -KILL -1 2>/dev/null
    exit 0
}
trap halt TERM

if [ -r /etc/hostname ]; then
    hostname -F /etc/hostname 2>/dev/null
fi
if [ -x /etc/rc.local ]; then
    /etc/rc.local </dev/null &
fi

# A trapped signal interrupts wait at once; the sleep child keeps the loop cheap.
while :; do
    sleep 86400 &
    wait $!
done
