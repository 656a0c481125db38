// libpcap's two entry points into its D-Bus capture source (libpcap's `pcap-dbus.h`), defined without D-Bus:
// see PcapWithoutDBus.c. Not for Swift: nothing in Swift calls them; libpcap's `pcap.c` does, when linked statically.

#ifndef C_PCAP_WITHOUT_DBUS_H
#define C_PCAP_WITHOUT_DBUS_H

struct pcap;
struct pcap_if_list;

/// Lists the D-Bus capture devices: none.
int dbus_findalldevs(struct pcap_if_list *devices, char *error_text);

/// Opens `device` if it names a D-Bus capture: never (`*is_ours` is 0).
struct pcap *dbus_create(const char *device, char *error_text, int *is_ours);

#endif
