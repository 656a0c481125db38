// PacketKit
