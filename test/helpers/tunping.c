/*
 * A minimal TUN client, as a C program of a user would be: attach to a TUN device (IFF_TUN |
 * IFF_NO_PI), write one ICMP echo request from the peer to the device's address, and read until the
 * kernel's echo reply comes back (sending again every half second, as ping does).
 * Usage: tunping NAME LOCAL PEER   (prints "reply from LOCAL" or "error ERRNO"; exit 0 or 1)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <unistd.h>

static uint16_t checksum(const uint8_t *p, size_t n) {
	uint32_t sum = 0;
	for (size_t i = 0; i + 1 < n; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1) sum += (uint32_t)(p[n - 1] << 8);
	while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int main(int argc, char **argv) {
	if (argc != 4) { fprintf(stderr, "usage: tunping NAME LOCAL PEER\n"); return 2; }
	int fd = open("/dev/net/tun", O_RDWR);
	if (fd < 0) { printf("error open %s\n", strerror(errno)); return 1; }
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	strncpy(ifr.ifr_name, argv[1], IFNAMSIZ - 1);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) { printf("error %s\n", errno == EPERM ? "EPERM" : strerror(errno)); return 1; }
	uint8_t pkt[28 + 8] = {0};
	pkt[0] = 0x45; pkt[3] = sizeof pkt; pkt[8] = 64; pkt[9] = 1; /* IPv4, ICMP */
	inet_pton(AF_INET, argv[3], pkt + 12);
	inet_pton(AF_INET, argv[2], pkt + 16);
	uint16_t c = checksum(pkt, 20); pkt[10] = c >> 8; pkt[11] = c & 0xff;
	uint8_t *icmp = pkt + 20;
	icmp[0] = 8; icmp[4] = 0x12; icmp[5] = 0x34; icmp[7] = 1; memcpy(icmp + 8, "tunadm!!", 8);
	c = checksum(icmp, 16); icmp[2] = c >> 8; icmp[3] = c & 0xff;
	/*
	 * Send again every half second, as ping does: right after we attach, the device gets its carrier,
	 * and until the kernel's link watch activates its queue (up to a second or more) replies are dropped.
	 */
	for (int attempt = 0; attempt < 12; attempt++) {
		if (write(fd, pkt, sizeof pkt) != (ssize_t)sizeof pkt) { printf("error write %s\n", strerror(errno)); return 1; }
		struct timeval tv = {0, 500000};
		for (;;) {
			fd_set rd; FD_ZERO(&rd); FD_SET(fd, &rd);
			if (select(fd + 1, &rd, NULL, NULL, &tv) <= 0) break;
			uint8_t in[2048];
			ssize_t n = read(fd, in, sizeof in);
			if (n >= 28 && (in[0] >> 4) == 4 && in[9] == 1 && in[20] == 0 && in[24] == 0x12 && in[25] == 0x34) {
				char from[INET_ADDRSTRLEN];
				inet_ntop(AF_INET, in + 12, from, sizeof from);
				printf("reply from %s\n", from);
				return 0;
			}
		}
	}
	printf("error timeout\n");
	return 1;
}

