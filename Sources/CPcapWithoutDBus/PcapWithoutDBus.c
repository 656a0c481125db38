// libpcap without its D-Bus capture source, for executables that link libpcap statically.
//
// Debian's libpcap is built with D-Bus support: `pcap.c` lists a D-Bus capture source beside the network interfaces,
// so its static archive pulls in `pcap-dbus.o`, which needs libdbus-1, which loads libsystemd, libgcrypt,
// libgpg-error, libzstd, liblzma, liblz4 and libcap — about 0.9 MB resident in every agent, for a capture source
// Tapster never opens (it captures on interfaces by name). These two definitions make libpcap behave as if the D-Bus
// source were absent: it lists no devices (`pcap_findalldevs` goes on to the next source) and claims no device name
// (`pcap_create` hands every name to the interface source), so `dbus-system`, `dbus-session` and `dbus://…` are
// unknown devices. An object of the link defines them before the linker reaches `libpcap.a`, so `pcap-dbus.o` is
// never extracted.
//
// Dynamic builds (debug, tests) load libpcap.so, whose own definitions are internal to it: these are then unused.
// Release builds link libpcap statically (scripts/static-libs/libpcap.so, scripts/release-swift-flags).

#include "CPcapWithoutDBus.h"

#include <stddef.h>

int dbus_findalldevs(struct pcap_if_list *devices, char *error_text) {
    (void)devices;
    (void)error_text;
    return 0;
}

struct pcap *dbus_create(const char *device, char *error_text, int *is_ours) {
    (void)device;
    (void)error_text;
    *is_ours = 0;
    return NULL;
}
