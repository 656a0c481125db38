#ifndef TAPSTER_CPCAP_SHIM_H
#define TAPSTER_CPCAP_SHIM_H
#include <pcap/pcap.h>
#endif
