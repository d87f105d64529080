"""One rank of the PyTorch DDP peer, so that each rank can run in its own network namespace.

usage: ddp_rank.py RANK [--compress fp16] PEER.py PEER_ARGUMENTS...   (PEER_ARGUMENTS include --ddp K)

The peer (peers/torch_mlp.py) starts its K ranks itself with torch.multiprocessing.spawn, all in
one process tree. This runs the peer unchanged, with its own argument parsing and defaults, but
replaces spawn by a call of the peer's rank function for RANK only. The ranks meet through
MASTER_ADDR and MASTER_PORT (the address of rank 0's namespace); set GLOO_SOCKET_IFNAME to the
namespace's interface so that gloo does not pick an address from the host name.

--compress fp16 registers DDP's fp16_compress_hook: gradients travel as float16 (the same bytes
as bfloat16; gloo in PyTorch 1.13 cannot all-reduce bfloat16).
"""
import runpy
import sys

import torch.multiprocessing
import torch.nn.parallel


def main():
    args = sys.argv[1:]
    if not args or not args[0].isdigit():
        sys.exit(__doc__)
    rank = int(args.pop(0))
    compress = None
    if args[:1] == ['--compress']:
        compress = args[1] if len(args) > 1 else ''
        if compress != 'fp16':
            sys.exit(f'ddp_rank.py: --compress {compress!r}: only fp16 is supported')
        args = args[2:]
    if not args:
        sys.exit(__doc__)
    peer = args[0]

    def one_rank(fn, args=(), nprocs=1, **_):
        if not 0 <= rank < nprocs:
            sys.exit(f'ddp_rank.py: rank {rank} outside 0..{nprocs - 1}')
        fn(rank, *args)

    torch.multiprocessing.spawn = one_rank
    if compress:
        from torch.distributed.algorithms.ddp_comm_hooks import default_hooks

        class CompressedDDP(torch.nn.parallel.DistributedDataParallel):
            def __init__(self, *a, **kw):
                super().__init__(*a, **kw)
                self.register_comm_hook(None, default_hooks.fp16_compress_hook)

        torch.nn.parallel.DistributedDataParallel = CompressedDDP

    sys.argv = args
    runpy.run_path(peer, run_name='__main__')


if __name__ == '__main__':
    main()
