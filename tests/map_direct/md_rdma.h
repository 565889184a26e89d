/* SPDX-License-Identifier: GPL-2.0 */
/*
 * RDMA helpers of map_direct_pin_test (and of the project's benchmark):
 * one device, two reliable-connected queue pairs of it connected to each
 * other, RDMA WRITE from one into a memory region of the other.  The two
 * queue pairs of the one device talk through the device's own loopback, so
 * no network is needed.
 *
 * Without an RDMA device, md_rdma_device_or_rxe() makes one: Soft-RoCE
 * (rxe, CONFIG_RDMA_RXE) on a dummy network device (CONFIG_DUMMY), with ip
 * and rdma from iproute2; md_rdma_remove_rxe() removes it again.
 *
 * Needs libibverbs (-libverbs) and a user-space provider for the device
 * (for rxe: librxe of rdma-core's ibverbs-providers).
 */
#ifndef MD_RDMA_H
#define MD_RDMA_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <infiniband/verbs.h>

#define MD_RXE_NETDEV	"md_rxe_dummy0"
#define MD_RXE_DEV	"md_rxe0"
#define MD_RDMA_PORT	1
#define MD_RDMA_WAIT_MS	5000	/* port up, or one work request done */

struct md_rdma {
	struct ibv_context *ctx;
	struct ibv_pd *pd;
	struct ibv_cq *cq;
	struct ibv_qp *qp[2];
	union ibv_gid gid;
};

static inline long long md_rdma_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* An RDMA device whose port 1 is active: its context, or NULL with errno. */
static inline struct ibv_context *md_rdma_open_active(void)
{
	struct ibv_device **list = ibv_get_device_list(NULL);
	struct ibv_context *ctx = NULL;
	struct ibv_port_attr port;
	int i;

	if (!list)
		return NULL;
	errno = ENODEV;
	for (i = 0; list[i] && !ctx; i++) {
		ctx = ibv_open_device(list[i]);
		if (ctx && (ibv_query_port(ctx, MD_RDMA_PORT, &port) ||
			    port.state != IBV_PORT_ACTIVE)) {
			ibv_close_device(ctx);
			ctx = NULL;
			errno = ENETDOWN;
		}
	}
	ibv_free_device_list(list);
	return ctx;
}

/*
 * Make sure an RDMA device with an active port exists, making the rxe one
 * if there is none: 1 if this call made it, 0 if there was one, -1 with
 * the reason in @why.
 */
static inline int md_rdma_device_or_rxe(char *why, size_t len)
{
	struct ibv_context *ctx = md_rdma_open_active();
	long long end;
	char cmd[256];

	if (ctx) {
		ibv_close_device(ctx);
		return 0;
	}
	snprintf(cmd, sizeof(cmd),
		 "ip link add %1$s type dummy && ip link set %1$s up && rdma link add %2$s type rxe netdev %1$s",
		 MD_RXE_NETDEV, MD_RXE_DEV);
	if (system(cmd)) {
		snprintf(why, len,
			 "no active RDMA device, and no Soft-RoCE on a dummy device (CONFIG_RDMA_RXE, CONFIG_DUMMY, ip and rdma from iproute2)");
		return -1;
	}
	for (end = md_rdma_now_ms() + MD_RDMA_WAIT_MS;
	     md_rdma_now_ms() < end; usleep(20000)) {
		ctx = md_rdma_open_active();
		if (ctx) {
			ibv_close_device(ctx);
			return 1;
		}
	}
	snprintf(why, len, "%s made, but no active port: %s", MD_RXE_DEV,
		 strerror(errno));
	return -1;
}

static inline void md_rdma_remove_rxe(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rdma link delete %s && ip link delete %s",
		 MD_RXE_DEV, MD_RXE_NETDEV);
	if (system(cmd))
		fprintf(stderr, "# could not remove %s on %s\n", MD_RXE_DEV,
			MD_RXE_NETDEV);
}

/* Bring @qp to RTS, connected to queue pair @dest of the same device. */
static inline int md_rdma_connect(struct md_rdma *r, struct ibv_qp *qp,
				  uint32_t dest)
{
	struct ibv_qp_attr a = {
		.qp_state = IBV_QPS_INIT,
		.port_num = MD_RDMA_PORT,
		.qp_access_flags = IBV_ACCESS_LOCAL_WRITE |
				   IBV_ACCESS_REMOTE_WRITE,
	};

	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
			  IBV_QP_PORT | IBV_QP_ACCESS_FLAGS))
		return errno;
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTR;
	a.path_mtu = IBV_MTU_1024;
	a.dest_qp_num = dest;
	a.max_dest_rd_atomic = 1;
	a.min_rnr_timer = 12;
	a.ah_attr.is_global = 1;
	a.ah_attr.grh.dgid = r->gid;
	a.ah_attr.grh.hop_limit = 1;
	a.ah_attr.port_num = MD_RDMA_PORT;
	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			  IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
			  IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER))
		return errno;
	memset(&a, 0, sizeof(a));
	a.qp_state = IBV_QPS_RTS;
	a.timeout = 14;
	a.retry_cnt = 7;
	a.rnr_retry = 7;
	a.max_rd_atomic = 1;
	if (ibv_modify_qp(qp, &a, IBV_QP_STATE | IBV_QP_TIMEOUT |
			  IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY | IBV_QP_SQ_PSN |
			  IBV_QP_MAX_QP_RD_ATOMIC))
		return errno;
	return 0;
}

static inline void md_rdma_close(struct md_rdma *r)
{
	int i;

	for (i = 0; i < 2; i++)
		if (r->qp[i])
			ibv_destroy_qp(r->qp[i]);
	if (r->cq)
		ibv_destroy_cq(r->cq);
	if (r->pd)
		ibv_dealloc_pd(r->pd);
	if (r->ctx)
		ibv_close_device(r->ctx);
	memset(r, 0, sizeof(*r));
}

/*
 * Open the device, and two queue pairs connected to each other: 0 or the
 * errno, with the step that failed in @why.
 */
static inline int md_rdma_open(struct md_rdma *r, char *why, size_t len)
{
	struct ibv_qp_init_attr qa = {
		.qp_type = IBV_QPT_RC,
		.sq_sig_all = 1,
		.cap = { .max_send_wr = 4, .max_recv_wr = 4,
			 .max_send_sge = 1, .max_recv_sge = 1 },
	};
	const char *step;
	int i, err;

	memset(r, 0, sizeof(*r));
	errno = 0;
	step = "open the device";
	r->ctx = md_rdma_open_active();
	if (!r->ctx)
		goto fail;
	step = "GID 0 of port 1";
	if (ibv_query_gid(r->ctx, MD_RDMA_PORT, 0, &r->gid))
		goto fail;
	step = "ibv_alloc_pd";
	r->pd = ibv_alloc_pd(r->ctx);
	if (!r->pd)
		goto fail;
	step = "ibv_create_cq";
	r->cq = ibv_create_cq(r->ctx, 8, NULL, NULL, 0);
	if (!r->cq)
		goto fail;
	qa.send_cq = r->cq;
	qa.recv_cq = r->cq;
	step = "ibv_create_qp";
	for (i = 0; i < 2; i++) {
		r->qp[i] = ibv_create_qp(r->pd, &qa);
		if (!r->qp[i])
			goto fail;
	}
	step = "connect the queue pairs";
	for (i = 0; i < 2; i++) {
		err = md_rdma_connect(r, r->qp[i], r->qp[!i]->qp_num);
		if (err) {
			errno = err;
			goto fail;
		}
	}
	return 0;
fail:
	err = errno ? errno : EIO;
	snprintf(why, len, "%s: %s", step, strerror(err));
	md_rdma_close(r);
	return err;
}

/*
 * RDMA WRITE @len bytes of @src (in region @src_mr) from queue pair 0 to
 * @remote in region @dst_mr of queue pair 1, and wait for it: 0, an errno,
 * or the negated work-completion status.
 */
static inline int md_rdma_write(struct md_rdma *r, struct ibv_mr *src_mr,
				void *src, size_t len, struct ibv_mr *dst_mr,
				void *remote)
{
	struct ibv_sge sge = {
		.addr = (uintptr_t)src,
		.length = len,
		.lkey = src_mr->lkey,
	};
	struct ibv_send_wr wr = {
		.sg_list = &sge,
		.num_sge = 1,
		.opcode = IBV_WR_RDMA_WRITE,
		.send_flags = IBV_SEND_SIGNALED,
		.wr.rdma = { .remote_addr = (uintptr_t)remote,
			     .rkey = dst_mr->rkey },
	}, *bad;
	long long end = md_rdma_now_ms() + MD_RDMA_WAIT_MS;
	struct ibv_wc wc;
	int n;

	if (ibv_post_send(r->qp[0], &wr, &bad))
		return errno;
	while ((n = ibv_poll_cq(r->cq, 1, &wc)) == 0 &&
	       md_rdma_now_ms() < end)
		;
	if (n < 0)
		return EIO;
	if (n == 0)
		return ETIMEDOUT;
	return wc.status == IBV_WC_SUCCESS ? 0 : -(int)wc.status;
}

/* What md_rdma_write() returned, as text. */
static inline const char *md_rdma_strerror(int err)
{
	return err < 0 ? ibv_wc_status_str((enum ibv_wc_status)-err) :
			 strerror(err);
}

#endif /* MD_RDMA_H */
