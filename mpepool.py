#!/usr/bin/env python3
# -*- coding: utf-8 -*-
"""Multi-process execution pool for external programs with per-job and pool-wide constraints.

A faithful Python 3 reimplementation of PyExPool v3: jobs (external programs, or Python snippets run
through ``sys.executable -c``) run in parallel under timeouts, memory limits measured on their whole
process tree and CPU affinity chosen from the NUMA/cache topology, grouped into hierarchical tasks with
callbacks and a failure report.

Usage::

    from mpepool import ExecPool, Job, Task
    with ExecPool(2) as pool:
        task = Task('demo')
        pool.execute(Job('list', args=('ls', '-la'), task=task, timeout=10))
        pool.execute(Job('nap', args=('sleep', '1'), task=task))
        pool.join(60)

The event loop (all of it runs in the caller's thread, inside ``execute()`` and ``join()``)::

    reap the finished jobs (pidfd readable) -> drain the PIPE outputs -> enforce the deadlines
    (job/task/pool timeouts, TERM->KILL escalation) -> sample memory when due -> start what fits
    -> publish a snapshot for the Web UI -> wait for the next event (a child exit, piped output,
    a wake-up or the nearest deadline) in one ``select()``; never a sleeping poll.

Optional dependencies: ``psutil`` (memory measurement and balancing) and ``bottle`` (the Web UI in
``mpewui``); both are imported lazily or with a ``None`` fallback, and importing this module prints
nothing and runs no external program.
"""
__all__ = ['Job', 'Task', 'ExecPool', 'AffinityMask', 'JobInfo', 'TaskInfo', 'ramfracs',
           'cpucorethreads', 'cpunodes', 'cpusequential', 'inBytes', 'inGigabytes', 'secondsToHms',
           'timeheader', 'tblfmt', 'applyCallback', 'infodata', 'infoheader', 'propslist',
           'TaskInfoExt', 'tasksInfoExt', 'printDepthFirst', 'TaskInfoPrefmt', 'unfoldDepthFirst',
           'installTerminationHandlers', 'wallclock']
__version__ = '3.3.0'

import collections
import errno
import heapq
import importlib.util
import itertools
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
import traceback
import types
import weakref
from math import sqrt
from multiprocessing import cpu_count

try:
    import psutil
except ImportError:  # Memory measurement and balancing are off without it (said once per pool)
    psutil = None

# === Tunables ==========================================================================================
# Module-level knobs of the original, kept with their names; tests patch them with mock.patch.object.

# Measure the memory of the jobs and balance the workers under memory limits; needs psutil
_LIMIT_WORKERS_RAM = psutil is not None
# Terminate (or cancel) the heavier jobs of the same category when a job violates its timeout or memory
_CHAINED_CONSTRAINTS = True
# The Web UI (mpewui) can be served: bottle is importable; checked without importing it
_WEBUI = importlib.util.find_spec('bottle') is not None
# Physical RAM in GB and the part of it the pool may target (2% + 256 MB are left to the OS)
_RAM_SIZE = os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 1024.**3
_RAM_LIMIT = _RAM_SIZE * 0.98 - 0.25
# Kept for compatibility: the original pinned jobs through this binary; this module pins them itself
_AFFINITYBIN = 'taskset'
# Tracing level: 0/False none, 1 brief, 2 detailed, 3 in-cycle; truthy also sends info messages to stderr
_DEBUG_TRACE = False

# === Small helpers: time, units, formatting, callbacks =================================================


def timeheader(timestamp=None):
	"""A timestamp header line for logs: '# ----- 2024-01-31 12:00:00 -----...'

	timestamp: time.struct_time  - the time to show, now (UTC) by default
	"""
	if timestamp is None:
		timestamp = time.gmtime()
	elif not isinstance(timestamp, time.struct_time):
		raise TypeError('timestamp must be a time.struct_time, not {!r}'.format(timestamp))
	return time.strftime('# ----- %Y-%m-%d %H:%M:%S ' + '-' * 30, timestamp)


def secondsToHms(seconds):
	"""Split seconds into (hours: int, minutes: int, seconds: float), e.g. 3725.5 -> (1, 2, 5.5)"""
	if seconds < 0:
		raise ValueError('seconds must be >= 0, not {!r}'.format(seconds))
	hours = int(seconds // 3600)
	mins = int((seconds - hours * 3600) // 60)
	return hours, mins, seconds - hours * 3600 - mins * 60


def inGigabytes(nbytes):
	"""Bytes to GB (GiB)"""
	return nbytes / 1024.**3


def inBytes(gb):
	"""GB (GiB) to bytes, a float"""
	return gb * 1024.**3


def ramfracs(fracsize):
	"""How many fractions of fracsize GB fit into the physical RAM, e.g. to size a pool by RAM"""
	if not fracsize > 0:
		raise ValueError('fracsize must be a positive number of GB, not {!r}'.format(fracsize))
	return int(_RAM_SIZE / fracsize)


# perf_counter() and time() read together once: turns the pool's perf_counter stamps into wall-clock times
_CLOCK_ORIGIN = time.time() - time.perf_counter()


def wallclock(tperf):
	"""The wall-clock (epoch) time of a time.perf_counter() reading such as Job.tstart, None stays None"""
	return None if tperf is None else _CLOCK_ORIGIN + tperf


def tblfmt(v, strpad=0):
	"""A table cell: floats with 3 decimals, None as '-', other values as str, right-justified to strpad"""
	if isinstance(v, float):
		return '{:.3f}'.format(v)
	if v is None:
		v = '-'
	elif isinstance(v, bool):
		v = str(int(v))
	elif not isinstance(v, str):
		v = str(v)
	return v.rjust(strpad)


def _infomsg(*args):
	"""An informational console message: stdout, or stderr when tracing"""
	print(*args, file=sys.stderr if _DEBUG_TRACE else sys.stdout)


def _warnmsg(*args):
	"""A warning or error message: always stderr"""
	print(*args, file=sys.stderr)


def applyCallback(callback, owner):
	"""Call callback() and report (not raise) an Exception it raises, naming the callback and its owner

	return  - True when the callback succeeded, False when it raised
	"""
	try:
		callback()
	except Exception as err:  # A user callback never takes the pool down
		_warnmsg('ERROR in the {} callback of "{}": {}. {}'.format(getattr(callback, '__name__', callback)
			, owner, err, ''.join(traceback.format_exc(5))))
		return False
	return True


def _bindCallback(callback, owner, pname):
	"""Bind a user callback to its owner, so that it is called with the owner as its only argument"""
	if callback is None:
		return None
	if not callable(callback):
		raise TypeError('{} must be callable or None, not {!r}'.format(pname, callback))
	return types.MethodType(callback, owner)

# === CPU topology ======================================================================================
# Computed from /sys/devices/system/{cpu,node} and the CPUs this process may use; no external programs.
# The original ran lscpu/lstopo through shell pipelines at import (failing without them, truncating
# multi-digit counts) and derived the masks from formulas that assume uniform nodes; here the groups are
# cut from the topology itself, so offline CPUs, cgroup-limited CPU sets and uneven nodes just work.

CpuTopology = collections.namedtuple('CpuTopology', 'cpus node package siblings nodes cores corethreads'
	' sequential sysfs')
CpuTopology.__doc__ = """The CPU topology seen by this process (see _cputopology())

cpus: tuple(int)  - the usable logical CPUs (online and allowed to this process), ascending
node: dict(cpu: int)  - NUMA node of each usable CPU
package: dict(cpu: int)  - physical package (socket) of each usable CPU
siblings: dict(cpu: tuple(int))  - the usable hardware threads of the core of each CPU, itself included
nodes: dict(node: tuple(core))  - the cores (tuples of usable CPUs) of each node having usable CPUs,
	nodes ascending, cores ordered by their lowest CPU
cores: tuple(tuple(int))  - all cores with usable CPUs, node by node; a core's lowest CPU comes first
corethreads: int  - the most usable hardware threads of a core (1 without SMT)
sequential: bool  - the CPUs are numbered in topology order (node by node, a core's threads adjacent),
	rather than across the nodes / with the sibling threads numbered after all cores
sysfs: bool  - read from sysfs; False for the flat fallback (one node, one thread per core)
"""


def _readsys(path):
	"""The stripped content of a small sysfs file"""
	with open(path) as fsys:
		return fsys.read().strip()


def _parseCpulist(text):
	"""A kernel CPU list such as '0-3,8,10-11' as a set of ints; '' is an empty set"""
	cpus = set()
	for part in text.split(','):
		part = part.strip()
		if not part:
			continue
		lo, sep, hi = part.partition('-')
		if sep:
			cpus.update(range(int(lo), int(hi) + 1))
		else:
			cpus.add(int(lo))
	return cpus


def _cpulistStr(cpus):
	"""CPUs as a compact list in `taskset -c` syntax: {0, 1, 2, 5, 16, 17} -> '0-2,5,16-17'"""
	runs = []
	for c in sorted(cpus):
		if runs and c == runs[-1][1] + 1:
			runs[-1][1] = c
		else:
			runs.append([c, c])
	return ','.join(str(lo) if lo == hi else '{}-{}'.format(lo, hi) for lo, hi in runs)


def _allowedCpus():
	"""The CPUs this process may run on (cgroup cpuset, taskset, ...), all CPUs where unknown"""
	try:
		return set(os.sched_getaffinity(0))
	except (AttributeError, OSError):  # Not Linux: no per-process CPU set to honour
		return set(range(cpu_count()))


def _flatTopology(allowed=None):
	"""A topology that assumes nothing: the allowed CPUs as single-thread cores of one node"""
	cpus = tuple(sorted(allowed if allowed is not None else _allowedCpus())) or (0,)
	cores = tuple((c,) for c in cpus)
	return CpuTopology(cpus=cpus, node=dict.fromkeys(cpus, 0), package=dict.fromkeys(cpus, 0)
		, siblings={c: (c,) for c in cpus}, nodes={0: cores}, cores=cores, corethreads=1, sequential=True
		, sysfs=False)


def _readTopology(sysroot, allowed):
	"""The topology read from sysfs under sysroot; raises OSError/ValueError when it is unusable"""
	cpudir = os.path.join(sysroot, 'cpu')
	try:
		online = _parseCpulist(_readsys(os.path.join(cpudir, 'online')))
	except OSError:
		# Kernels without cpu/online: a cpuN dir is online unless its online file says 0
		# (cpu0 usually has no such file as it cannot be taken offline)
		online = set()
		for name in os.listdir(cpudir):
			if name.startswith('cpu') and name[3:].isdigit():
				try:
					flag = _readsys(os.path.join(cpudir, name, 'online'))
				except OSError:
					flag = '1'
				if flag != '0':
					online.add(int(name[3:]))
	usable = online.intersection(_allowedCpus() if allowed is None else allowed)
	if not usable:
		raise ValueError('no usable CPUs in {}'.format(cpudir))
	cpus = tuple(sorted(usable))

	# Cores: the kernel's sibling list of each CPU (core_cpus_list since Linux 5.7, thread_siblings_list
	# before), restricted to the usable CPUs; without them, (package, core_id) as the original's lscpu did
	package = {}
	corekey = {}
	for c in cpus:
		tdir = os.path.join(cpudir, 'cpu{}'.format(c), 'topology')
		try:
			package[c] = int(_readsys(os.path.join(tdir, 'physical_package_id')))
		except (OSError, ValueError):
			package[c] = 0
		for fname in ('core_cpus_list', 'thread_siblings_list'):
			try:
				corekey[c] = frozenset(_parseCpulist(_readsys(os.path.join(tdir, fname))) & usable | {c})
				break
			except (OSError, ValueError):
				pass
		else:
			try:
				corekey[c] = (package[c], int(_readsys(os.path.join(tdir, 'core_id'))))
			except (OSError, ValueError):
				corekey[c] = c  # Nothing known: a core of its own
	coremap = {}
	for c in cpus:
		coremap.setdefault(corekey[c], []).append(c)

	# Nodes: node*/cpulist; CPUs that no node lists (kernels without NUMA) go to the lowest node
	node = {}
	nodedir = os.path.join(sysroot, 'node')
	try:
		names = os.listdir(nodedir)
	except OSError:
		names = ()
	for name in names:
		if name.startswith('node') and name[4:].isdigit():
			try:
				ncpus = _parseCpulist(_readsys(os.path.join(nodedir, name, 'cpulist')))
			except OSError:
				continue
			for c in ncpus & usable:
				node[c] = min(node.get(c, int(name[4:])), int(name[4:]))
	nodefault = min(node.values()) if node else 0
	for c in cpus:
		node.setdefault(c, nodefault)

	# A core belongs to the node of its lowest CPU (its threads never span nodes on real hardware)
	cores = sorted((tuple(sorted(cpl)) for cpl in coremap.values()), key=lambda core: (node[core[0]], core[0]))
	nodes = {}
	for core in cores:
		nodes.setdefault(node[core[0]], []).append(core)
	siblings = {c: core for core in cores for c in core}
	return CpuTopology(cpus=cpus, node=node, package=package, siblings=siblings
		, nodes={n: tuple(ncores) for n, ncores in nodes.items()}, cores=tuple(cores)
		, corethreads=max(len(core) for core in cores)
		# Topology order equals numeric order: what hwloc's "PU L#1 is P#1" test of the original meant
		, sequential=[c for core in cores for c in core] == list(cpus), sysfs=True)


def _cputopology(sysroot='/sys/devices/system', allowed=None):
	"""The CPU topology this process can use, as a CpuTopology; never raises, prints nothing

	sysroot: str  - the sysfs directory holding cpu/ and node/ (tests point it to fake trees)
	allowed: iterable(int)  - the CPUs this process may use, os.sched_getaffinity(0) by default;
		the usable CPUs are the online ones among them
	return  - the topology from sysfs, or a flat one (the allowed CPUs as single-thread cores
		of one node, sysfs=False) when sysfs cannot be read
	"""
	if allowed is not None:
		allowed = set(allowed)
	try:
		return _readTopology(sysroot, allowed)
	except Exception:  # Broad on purpose: importing this module must never fail because of sysfs
		return _flatTopology(allowed)


def _topologyCounts(topo):
	"""The AffinityMask class attributes (CPUS, NODES, ...) of a CpuTopology, as a dict"""
	return dict(CPUS=len(topo.cpus), NODES=len(topo.nodes), CORES=len(topo.cores)
		, CORE_THREADS=topo.corethreads
		# Whole cores of the smallest node: CPUS // NODES on uniform machines, and on uneven ones still
		# a valid afnstep that yields a group in every node (AffinityMask(NODE_CPUS) = a worker per node)
		, NODE_CPUS=topo.corethreads * min(len(ncores) for ncores in topo.nodes.values())
		, SEQUENTIAL=topo.sequential)


def _affinityGroups(topo, afnstep):
	"""The CPU groups of afnstep CPUs of a topology: a tuple of tuples, primary threads first

	afnstep 1: every usable CPU on its own; the first threads of all cores come before the second
	ones, and consecutive groups alternate over the nodes (as the original's table for both
	enumerations). afnstep = n * corethreads: n whole cores of one node per group, the groups
	alternating over the nodes; cores left over in a node form no group. Only when n exceeds the
	cores of every node do groups span nodes (consecutive whole cores, node by node).
	"""
	nodecores = list(topo.nodes.values())
	groups = []
	if afnstep == 1:
		maxcores = max(len(ncores) for ncores in nodecores)
		for h in range(topo.corethreads):
			for k in range(maxcores):
				for ncores in nodecores:
					if k < len(ncores) and h < len(ncores[k]):
						groups.append((ncores[k][h],))
		return tuple(groups)
	ncores = afnstep // topo.corethreads
	if ncores > max(len(cores) for cores in nodecores):
		nodecores = [topo.cores]  # Groups larger than any node: whole cores of consecutive nodes
	chunks = [[cores[j:j + ncores] for j in range(0, len(cores) - ncores + 1, ncores)] for cores in nodecores]
	for k in range(max(len(nchunks) for nchunks in chunks)):
		for nchunks in chunks:
			if k < len(nchunks):
				groups.append(tuple(c for core in nchunks[k] for c in core))
	return tuple(groups)


# The topology of this machine for this process, read once at import
_TOPOLOGY = _cputopology()
_COUNTS = _topologyCounts(_TOPOLOGY)


def cpucorethreads():
	"""The number of hardware threads per CPU core (the most a usable core has; 1 without SMT)

	Used as the affinity step that dedicates a whole core, with its L1/L2 caches, to a worker.
	"""
	return _COUNTS['CORE_THREADS']


def cpunodes():
	"""The number of NUMA nodes having CPUs this process may use"""
	return _COUNTS['NODES']


def cpusequential(ncpunodes=None):
	"""Whether the logical CPUs are enumerated sequentially rather than across the nodes

	Sequential (laptops): node by node, the threads of a core adjacent, e.g. node0: 0(,1),2(,3);
	node1: 4(,5),6(,7). Cross-node (servers): the first threads of all cores alternate over the nodes
	and the sibling threads follow, e.g. node0: 0,2(,4,6); node1: 1,3(,5,7).

	ncpunodes: int  - the number of NUMA nodes, used only when sysfs is unreadable: then the
		enumeration is taken as sequential on a single node (as the original did without hwloc)
	return  - bool
	"""
	if not _TOPOLOGY.sysfs and ncpunodes is not None:
		return ncpunodes == 1
	return _COUNTS['SEQUENTIAL']


class AffinityMask(object):
	"""Affinity mask: the group of logical CPUs that each worker slot of a pool is pinned to

	Groups keep the cache local: afnstep 1 gives every logical CPU its own slot (the first threads of
	all cores first, alternating over the NUMA nodes); an afnstep of n * CORE_THREADS gives each slot n
	whole cores of one node, so that the slot's L1/L2 (and L3 with a whole node) caches are its own.
	The groups are cut from the detected topology (sysfs and the CPUs this process may use), which works
	for both the sequential and the cross-node enumerations.

	Typical afnstep values:
		1  - the most parallelism for single-threaded programs (a worker per logical CPU)
		CORE_THREADS  - a dedicated core per worker (L1/L2 cache maximisation)
		NODE_CPUS  - a dedicated NUMA node per worker (L3 cache maximisation)

	Class attributes (this machine, this process):
		CPUS  - usable logical CPUs (online and allowed by the cgroup cpuset / sched_setaffinity)
		NODES  - NUMA nodes with usable CPUs
		CORES  - physical cores with usable CPUs
		CORE_THREADS  - hardware threads per core
		NODE_CPUS  - CPUs of a node (of the smallest one, in whole cores, on uneven machines)
		SEQUENTIAL  - the enumeration is sequential (see cpusequential())

	>>> mask = AffinityMask(AffinityMask.CORE_THREADS)
	>>> len(mask) == AffinityMask.CORES
	True
	"""
	CPUS = _COUNTS['CPUS']
	NODES = _COUNTS['NODES']
	CORES = _COUNTS['CORES']
	CORE_THREADS = _COUNTS['CORE_THREADS']
	NODE_CPUS = _COUNTS['NODE_CPUS']
	SEQUENTIAL = _COUNTS['SEQUENTIAL']

	def __init__(self, afnstep, first=True, sequential=SEQUENTIAL, topology=None):
		"""CPU groups of afnstep logical CPUs for the worker slots

		afnstep: int  - logical CPUs per group: 1 or a multiple of CORE_THREADS (whole cores), at most
			CPUS; an integral float such as 2.0 is accepted
		first: bool  - pin a slot to the first CPU of its group only (a whole core's cache for a
			single-threaded program) rather than to all CPUs of the group (multi-threaded programs)
		sequential: bool or None  - the enumeration type, accepted for compatibility: the groups
			follow the detected topology, so the value does not change them
		topology: CpuTopology  - the topology to cut the groups from, this process's by default
			(tests pass fake ones; the instance then carries their CPUS, NODES, ... attributes)
		"""
		if isinstance(afnstep, bool) or not isinstance(afnstep, (int, float)):
			raise TypeError('afnstep must be an int, not {!r}'.format(afnstep))
		if isinstance(afnstep, float) and not afnstep.is_integer():
			raise ValueError('afnstep must be an integral number of CPUs, not {!r}'.format(afnstep))
		if not isinstance(first, bool):
			raise TypeError('first must be a bool, not {!r}'.format(first))
		if sequential is not None and not isinstance(sequential, bool):
			raise TypeError('sequential must be a bool or None, not {!r}'.format(sequential))
		if topology is None:
			topology = _TOPOLOGY
		elif not isinstance(topology, CpuTopology):
			raise TypeError('topology must be a CpuTopology, not {!r}'.format(topology))
		counts = _topologyCounts(topology)
		step = int(afnstep)
		if step < 1:
			raise ValueError('afnstep must be >= 1, not {!r}'.format(afnstep))
		if step != 1 and step % counts['CORE_THREADS']:
			raise ValueError('afnstep must be 1 or a multiple of CORE_THREADS={} (whole cores), not {!r}'
				.format(counts['CORE_THREADS'], afnstep))
		if step > counts['CPUS']:
			raise ValueError('afnstep must not exceed the {} usable CPUs, not {!r}'.format(counts['CPUS'], afnstep))
		self.afnstep = step  # int: logical CPUs per group
		self.first = first  # bool: pin to the first CPU of a group only
		self.sequential = sequential  # bool or None: as given (informational)
		self.topology = topology  # CpuTopology the groups are cut from
		self.__dict__.update(counts)  # CPUS, NODES, ... of that topology
		# Whole groups (tuples, primary thread first) and what a slot is pinned to
		self._groups = _affinityGroups(topology, step)
		self._masks = tuple(frozenset(grp[:1] if first else grp) for grp in self._groups)

	def __len__(self):
		"""The number of CPU groups, i.e. of worker slots that can be pinned"""
		return len(self._masks)

	def _slot(self, i):
		"""Validated slot index"""
		if isinstance(i, bool) or not isinstance(i, int):
			raise TypeError('i must be an int slot index, not {!r}'.format(i))
		if not 0 <= i < len(self._masks):
			raise IndexError('i must be in [0, {}), not {!r}'.format(len(self._masks), i))
		return i

	def cpus(self, i):
		"""The logical CPUs (a frozenset of ints) that worker slot i is pinned to"""
		return self._masks[self._slot(i)]

	def __call__(self, i):
		"""The CPU list of worker slot i in `taskset -c` syntax, e.g. '0-1,16-17'"""
		return _cpulistStr(self._masks[self._slot(i)])

	def __repr__(self):
		return 'AffinityMask(afnstep={}, first={}, {} groups of {})'.format(self.afnstep, self.first
			, len(self), _cpulistStr(self.topology.cpus))

# === Reporting data model: snapshots of jobs and tasks for the failure report and the Web UI ==========
# (JobInfo, TaskInfo, infodata, tasksInfoExt, ... ; see SPEC §1.5) -- written with the core

# === Task ==============================================================================================


class Task(object):
	"""A group of jobs and subtasks (core issue)"""

# === Job ===============================================================================================


class Job(object):
	"""An external program to run in the pool (core issue)"""

# === ExecPool ==========================================================================================


class ExecPool(object):
	"""The execution pool (core issue)"""

# === Web UI snapshots ==================================================================================
# What the pool publishes for mpewui (Web UI issue)

# === Command line ======================================================================================
# `mpepool` / `python -m mpepool` (command-line issue)
