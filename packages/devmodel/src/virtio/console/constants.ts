/** virtio-console (virtio 1.2 §5.3): feature bits, config layout and control messages. */

/** Feature: config `cols` and `rows` are valid. */
export const VIRTIO_CONSOLE_F_SIZE = 0;
/** Feature: several ports and a control queue pair. */
export const VIRTIO_CONSOLE_F_MULTIPORT = 1;
/** Feature: config `emerg_wr` writes a character before the queues are up. */
export const VIRTIO_CONSOLE_F_EMERG_WRITE = 2;

/** Config offsets (struct virtio_console_config). */
export const VIRTIO_CONSOLE_CFG_COLS = 0; // u16
export const VIRTIO_CONSOLE_CFG_ROWS = 2; // u16
export const VIRTIO_CONSOLE_CFG_MAX_NR_PORTS = 4; // u32
export const VIRTIO_CONSOLE_CFG_EMERG_WR = 8; // u32
export const VIRTIO_CONSOLE_CONFIG_SIZE = 12;

/** Queue indices: port 0's pair, then the control pair, then ports 1.. in pairs. */
export const VIRTIO_CONSOLE_PORT0_RX = 0;
export const VIRTIO_CONSOLE_PORT0_TX = 1;
export const VIRTIO_CONSOLE_CONTROL_RX = 2;
export const VIRTIO_CONSOLE_CONTROL_TX = 3;

/** Control message: id u32, event u16, value u16, then event-specific bytes (a port name). */
export const VIRTIO_CONSOLE_CONTROL_SIZE = 8;
/** Driver: ready for DEVICE_ADDs (value 1) or failed (0). */
export const VIRTIO_CONSOLE_DEVICE_READY = 0;
/** Device: port `id` exists. */
export const VIRTIO_CONSOLE_DEVICE_ADD = 1;
/** Device: port `id` is gone. */
export const VIRTIO_CONSOLE_DEVICE_REMOVE = 2;
/** Driver: port `id` is set up (value 1) or failed (0). */
export const VIRTIO_CONSOLE_PORT_READY = 3;
/** Device: port `id` is a console (hvc). */
export const VIRTIO_CONSOLE_CONSOLE_PORT = 4;
/** Device: console size changed (rows u16, cols u16 follow). */
export const VIRTIO_CONSOLE_RESIZE = 5;
/** Both ways: the sender's end of port `id` opened (value 1) or closed (0). */
export const VIRTIO_CONSOLE_PORT_OPEN = 6;
/** Device: the port's name follows. */
export const VIRTIO_CONSOLE_PORT_NAME = 7;
