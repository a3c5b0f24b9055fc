// SPDX-FileCopyrightText: 2026 The Petrel developers
// SPDX-License-Identifier: GPL-2.0-only
/* virtio_wdt: a Linux guest driver for the virtio-watchdog device (virtio
 * device id 35, virtio-pci 1af4:1063), the device behind Cloud Hypervisor's
 * and Petrel's --watchdog. Mainline Linux has none; this is a test driver
 * that ci/guest-kit/build.sh builds for the kit's kernel and puts into the L2
 * initramfs, so the nested tests can drive Petrel's device from a real guest
 * (busybox `watchdog` on /dev/watchdog). GPL-2.0-only, unlike the rest of
 * Petrel, because it is a Linux kernel module (it uses GPL-only symbols).
 *
 * The device protocol is Cloud Hypervisor's: one virtqueue (queue 0, at
 * most 8 entries), no feature bits, no config space. A ping is one
 * device-writable buffer of >= 1 byte; the device writes 1 into it and
 * returns it. After the first ping it checks every 15 s and resets the VM
 * if more than 20 s passed since the last ping. It cannot be stopped, so
 * `stop` leaves it running (WDOG_HW_RUNNING) and the watchdog core keeps
 * pinging it every max_hw_heartbeat_ms / 2 on the kernel's behalf. */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/virtio.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/watchdog.h>

#ifndef VIRTIO_ID_WATCHDOG
#define VIRTIO_ID_WATCHDOG 35
#endif

#define VIRTIO_WDT_TIMEOUT 15 /* s: the device's check period */

struct virtio_wdt {
	struct virtio_device *vdev;
	struct virtqueue *vq;
	spinlock_t lock; /* the virtqueue: ping vs. the used-buffer callback */
	struct watchdog_device wdd;
};

/* Frees the buffers the device has returned. Called with wdt->lock held. */
static void virtio_wdt_reclaim(struct virtio_wdt *wdt)
{
	unsigned int len;
	void *buf;

	while ((buf = virtqueue_get_buf(wdt->vq, &len)))
		kfree(buf);
}

static void virtio_wdt_done(struct virtqueue *vq)
{
	struct virtio_wdt *wdt = vq->vdev->priv;
	unsigned long flags;

	spin_lock_irqsave(&wdt->lock, flags);
	virtio_wdt_reclaim(wdt);
	spin_unlock_irqrestore(&wdt->lock, flags);
}

/* start and ping: one 1-byte in-buffer. A full ring (8 pings the device has
 * not returned yet) still counts as alive: the next ping will get through. */
static int virtio_wdt_ping(struct watchdog_device *wdd)
{
	struct virtio_wdt *wdt = watchdog_get_drvdata(wdd);
	struct scatterlist sg;
	unsigned long flags;
	u8 *buf;
	int err;

	buf = kzalloc(1, GFP_ATOMIC);
	if (!buf)
		return -ENOMEM;
	sg_init_one(&sg, buf, 1);
	spin_lock_irqsave(&wdt->lock, flags);
	virtio_wdt_reclaim(wdt);
	err = virtqueue_add_inbuf(wdt->vq, &sg, 1, buf, GFP_ATOMIC);
	if (!err)
		virtqueue_kick(wdt->vq);
	spin_unlock_irqrestore(&wdt->lock, flags);
	if (err)
		kfree(buf);
	return 0;
}

/* The device cannot stop: hand it to the watchdog core, which keeps pinging
 * it while it is not open (see max_hw_heartbeat_ms). */
static int virtio_wdt_stop(struct watchdog_device *wdd)
{
	set_bit(WDOG_HW_RUNNING, &wdd->status);
	return 0;
}

static const struct watchdog_info virtio_wdt_info = {
	.identity = "virtio-watchdog",
	.options = WDIOF_KEEPALIVEPING | WDIOF_MAGICCLOSE,
};

static const struct watchdog_ops virtio_wdt_ops = {
	.owner = THIS_MODULE,
	.start = virtio_wdt_ping,
	.stop = virtio_wdt_stop,
	.ping = virtio_wdt_ping,
};

static int virtio_wdt_probe(struct virtio_device *vdev)
{
	struct virtio_wdt *wdt;
	int err;

	wdt = devm_kzalloc(&vdev->dev, sizeof(*wdt), GFP_KERNEL);
	if (!wdt)
		return -ENOMEM;
	wdt->vdev = vdev;
	spin_lock_init(&wdt->lock);
	vdev->priv = wdt;
	/* The same call on 6.1 and 6.12 (6.11 changed virtio_find_vqs only). */
	wdt->vq = virtio_find_single_vq(vdev, virtio_wdt_done, "watchdog");
	if (IS_ERR(wdt->vq))
		return PTR_ERR(wdt->vq);
	virtio_device_ready(vdev);

	wdt->wdd.info = &virtio_wdt_info;
	wdt->wdd.ops = &virtio_wdt_ops;
	wdt->wdd.parent = &vdev->dev;
	wdt->wdd.timeout = VIRTIO_WDT_TIMEOUT;
	wdt->wdd.min_timeout = VIRTIO_WDT_TIMEOUT;
	wdt->wdd.max_timeout = VIRTIO_WDT_TIMEOUT;
	/* The device resets the VM 20-35 s after the last ping: the core pings
	 * every 5 s while the device runs and nobody has it open. */
	wdt->wdd.max_hw_heartbeat_ms = 10000;
	watchdog_set_drvdata(&wdt->wdd, wdt);
	err = watchdog_register_device(&wdt->wdd);
	if (err) {
		virtio_reset_device(vdev);
		vdev->config->del_vqs(vdev);
		return err;
	}
	dev_info(&vdev->dev, "virtio-watchdog registered as watchdog%d\n", wdt->wdd.id);
	return 0;
}

static void virtio_wdt_remove(struct virtio_device *vdev)
{
	struct virtio_wdt *wdt = vdev->priv;
	void *buf;

	watchdog_unregister_device(&wdt->wdd);
	virtio_reset_device(vdev);
	while ((buf = virtqueue_detach_unused_buf(wdt->vq)))
		kfree(buf);
	vdev->config->del_vqs(vdev);
}

static const struct virtio_device_id virtio_wdt_id_table[] = {
	{ VIRTIO_ID_WATCHDOG, VIRTIO_DEV_ANY_ID },
	{ 0 },
};
MODULE_DEVICE_TABLE(virtio, virtio_wdt_id_table);

static struct virtio_driver virtio_wdt_driver = {
	.driver.name = KBUILD_MODNAME,
	.driver.owner = THIS_MODULE,
	.id_table = virtio_wdt_id_table,
	.probe = virtio_wdt_probe,
	.remove = virtio_wdt_remove,
};
module_virtio_driver(virtio_wdt_driver);

MODULE_DESCRIPTION("virtio-watchdog test driver (Petrel guest kit)");
MODULE_AUTHOR("The Petrel developers");
MODULE_LICENSE("GPL");
