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

The file reads in three parts, in dependency order (each "# === name" below is a section)::

    I. THE CORE            Tunables, Small helpers, CPU topology, Reporting data model, Argument checks,
                           Task, Job, Processes (channels, process trees, the guardian), Launchers (the
                           protocol, LocalLauncher and the choice of a pool's default launcher),
                           Memory, ExecPool, Web UI snapshots, Names kept only for compatibility with the
                           original
    II. OPTIONAL LAUNCHERS Cgroups (CgroupLauncher), Slurm (SlurmLauncher: an srun per job), Slurm per
                           node (SlurmNodesLauncher and its node agent, `python3 mpepool.py --agent`):
                           each declares its result columns, registers its guardian action and adds its
                           PYEXPOOL_LAUNCHER names (_LAUNCHERS); part I names none of them (but for
                           ExecPool's public cgroups= switch, resolved by _defaultLauncher)
    III. THE COMMAND LINE  mpepool / python -m mpepool: GNU parallel's conventions on top of ExecPool

A job's way through them (all of it in the caller's thread, inside ``execute()`` and ``join()``)::

    execute(job) -- checks --> the queue (Memory: _JobQueue, ordered for memory balancing)
      -> start when a slot and its memory fit: a new run (_Run: process, channels, slot, deadlines,
         the launcher's state) -> launcher.spawn() -> the guardian records what to clean up
      -> the event loop: wait in one select() for a child exit (pidfd), piped output, a wake-up or the
         nearest deadline (timeouts, TERM->KILL escalation, memory samples: events of their run)
      -> launcher.reaped() (figures now, or later through collect()) -> the run ends once
      -> Job.complete(): callbacks (ondone/onfinish), the owner Task notified, jobsdone or failures
      -> the failure report, the Web UI snapshot, the command line's job log

Optional dependencies: ``psutil`` (memory measurement and balancing) and ``bottle`` (the Web UI in
``mpewui``); both are imported lazily or with a ``None`` fallback, and importing this module prints
nothing and runs no external program.
"""
__all__ = ['Job', 'Task', 'ExecPool', 'AffinityMask', 'JobInfo', 'TaskInfo', 'ramfracs',
           'cpucorethreads', 'cpunodes', 'cpusequential', 'inBytes', 'inGigabytes', 'secondsToHms',
           'timeheader', 'tblfmt', 'applyCallback', 'infodata', 'infoheader', 'propslist',
           'TaskInfoExt', 'tasksInfoExt', 'printDepthFirst', 'TaskInfoPrefmt', 'unfoldDepthFirst',
           'installTerminationHandlers', 'wallclock', 'Launcher', 'LocalLauncher', 'CgroupLauncher',
           'SlurmLauncher', 'SlurmNodesLauncher']
__version__ = '3.3.0'

import bisect
import atexit
import collections
import contextlib
import errno
import fcntl
import functools
import heapq
import importlib.util
import itertools
import json
import math
import os
import re
import resource
import select
import selectors
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import types
import weakref

try:
    import psutil
except ImportError:  # Memory measurement and balancing are off without it (said once per pool)
    psutil = None

########################################################################################################
# PART I. THE CORE: what every pool needs, whatever runs its jobs
#
# Tunables, helpers, argument checks, the CPU topology, Task, Job, the reports, the process plumbing and
# the guardian, the launcher protocol with its local implementation, memory, ExecPool, the Web UI
# snapshots, and the names kept only for compatibility with the original.
########################################################################################################


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
# Seconds from the SIGTERM that asks a job's processes to stop to the SIGKILL that ends them (the default
# of ExecPool's killgrace): time for a measuring wrapper (GNU time, a shell trap) to record and exit
_KILL_GRACE = 2.
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


def _durationText(seconds):
	"""A duration for people, in one form: '0.25 s', '12.3 s', '2 m 5 s', '3 h 2 m 5 s'"""
	if seconds is None:
		return '-'
	if seconds < 60:
		return '{:.{}f} s'.format(seconds, 2 if seconds < 10 else 1)
	hours, mins, secs = secondsToHms(round(seconds))
	return '{}{} m {:.0f} s'.format('{} h '.format(hours) if hours else '', mins, secs)


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


class _MessageSink(object):
	"""Where the console messages of the pools go: the one place that decides what is shown and where

	The pools, their launchers and helpers write through _infomsg, _warnmsg and _eventmsg only; a program
	(the command line) configures this sink (configure() returns the previous settings for restore()).
	info: 'stdout', 'stderr' or None  - information (starts, completions, the failure report); stdout by
		default, stderr when tracing (_DEBUG_TRACE), None drops it
	events: bool  - the warnings about the pool's own steps (its termination, each job it stops or cancels
		there)
	jobs: bool  - the warnings on a job that failed or that the pool stopped or canceled (a limit broken, a
		chain); the errors are always shown
	details: bool  - a message's details (a traceback), else only its text
	stacks: bool  - the call stack where a pool was terminated (for debugging; also with _DEBUG_TRACE)
	"""
	__slots__ = ('info', 'events', 'jobs', 'details', 'stacks')

	def __init__(self):
		self.info = 'stdout'
		self.events = True
		self.jobs = True
		self.details = True
		self.stacks = False

	def configure(self, **settings):
		"""Change some settings; returns the previous ones"""
		previous = {name: getattr(self, name) for name in self.__slots__}
		for name, value in settings.items():
			setattr(self, name, value)
		return previous

	restore = configure

	def write(self, kind, args, details=None, stack=False):
		"""Print one message; kind: 'info', 'warning', 'event' or 'job'; details: text shown when self.details;
		stack: append the current call stack when self.stacks"""
		if kind == 'info':
			if self.info is None:
				return
			out = sys.stderr if _DEBUG_TRACE or self.info == 'stderr' else sys.stdout
		elif (kind == 'event' and not self.events) or (kind == 'job' and not self.jobs):
			return
		else:
			out = sys.stderr
		text = args[0] if len(args) == 1 and isinstance(args[0], str) else ' '.join(str(arg) for arg in args)
		if details and self.details:
			text += details if details.startswith('\n') else ' ' + details
		if stack and (self.stacks or _DEBUG_TRACE):
			text += ', call stack:\n' + ''.join(traceback.format_stack(limit=6)[:-2])
		print(text, file=out, flush=out is sys.stderr)


_MESSAGES = _MessageSink()


def _infomsg(*args):
	"""An informational console message: stdout (see _MessageSink)"""
	_MESSAGES.write('info', args)


def _warnmsg(*args, details=None):
	"""A warning or error message: stderr, always shown; details (a traceback) only when the sink shows them"""
	_MESSAGES.write('warning', args, details)


def _jobmsg(*args):
	"""A warning on one job: it failed, or the pool stopped or canceled it (stderr, unless the sink hides them:
	the command line says it as GNU parallel does)"""
	_MESSAGES.write('job', args)


def _eventmsg(*args, stack=False):
	"""A warning about the pool's own steps (termination, the jobs it stops there): stderr, unless the sink
	hides them (the command line without --pool-messages)"""
	_MESSAGES.write('event', args, stack=stack)


# interrupted(err, callback, owner): the handler of the pool whose work runs in this thread now (callbacks
# run inside its execute(), join(), terminate()) for a BaseException of a callback; see ExecPool._running
_CALLER = threading.local()


def applyCallback(callback, owner):
	"""Call callback() and report (not raise) an Exception it raises, naming the callback and its owner

	A BaseException (KeyboardInterrupt, SystemExit) raised by a callback that a pool runs goes to that
	pool's handler (_CALLER.interrupted, see ExecPool._running); raised outside of a pool's work, it
	propagates at once.
	return  - True when the callback succeeded, False when it raised
	"""
	try:
		callback()
	except Exception as err:  # A user callback never takes the pool down
		_warnmsg('ERROR in the {} callback of "{}": {}.'.format(getattr(callback, '__name__', callback), owner, err)
			, details=''.join(traceback.format_exc(5)))
		return False
	except BaseException as err:
		interrupted = getattr(_CALLER, 'interrupted', None)
		if interrupted is None:
			raise
		interrupted(err, callback, owner)
		return False
	return True


class _BoundCallback(object):
	"""A user callback bound to its owner (a Job or a Task) as a method is (owner.onfinish() calls it with the
	owner; its attributes are the callable's), but holding the owner weakly: a bound method would make a
	reference cycle with its owner, and every finished job with a callback would wait for Python's cyclic
	garbage collector, whose oldest generation the jobs of a long pool reach first"""
	__slots__ = ('__func__', '_owner')

	def __init__(self, callback, owner):
		self.__func__ = callback
		self._owner = weakref.ref(owner)

	@property
	def __self__(self):
		return self._owner()

	def __call__(self, *args, **kwargs):
		return self.__func__(self._owner(), *args, **kwargs)

	def __getattr__(self, name):
		return getattr(self.__func__, name)

	def __eq__(self, other):
		return isinstance(other, _BoundCallback) and self.__func__ == other.__func__ and self._owner == other._owner

	def __hash__(self):
		return hash((self.__func__, self._owner))

	def __repr__(self):
		return '<bound callback {!r} of {!r}>'.format(self.__func__, self._owner())


def _bindCallback(callback, owner, pname):
	"""Bind a user callback to its owner, so that it is called with the owner as its only argument"""
	if callback is None:
		return None
	if not callable(callback):
		raise TypeError('{} must be callable or None, not {!r}'.format(pname, callback))
	return _BoundCallback(callback, owner)

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
		return set(range(os.cpu_count() or 1))


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


def propslist(cls):
	"""Class decorator for a __slots__ class: the list of its properties, exact membership, json()

	Adds `_props` (the original's space-separated names: the first `_NPRIMARY` slots, then the public
	non-slot names such as `duration`), `_xprops` (all public slots, then the public names), `in` testing
	the exact property names, `json()` (a dict; a Task value becomes its name) and `iterprop()`.
	"""
	slots = [name for name in cls.__slots__ if not name.startswith('_')]
	public = [name for name in dir(cls) if not name.startswith('_') and name not in slots
		and not callable(getattr(cls, name))]  # Properties, not methods
	cls._props = ' '.join(slots[:getattr(cls, '_NPRIMARY', len(slots))] + public)
	cls._xprops = ' '.join(slots + public)
	cls._propset = frozenset(cls._xprops.split())

	def contains(self, prop):
		return prop in self._propset

	def json(self):
		return {prop: _valueName(getattr(self, prop)) for prop in self._xprops.split()}

	def iterprop(self=None):
		"""The names of the properties, in the order of _props"""
		return iter(cls._props.split())

	for name, func in (('__contains__', contains), ('json', json), ('iterprop', iterprop)):
		if name not in vars(cls):  # The class's own definition extends the generic one
			setattr(cls, name, func)
	return cls


def _measuredMem(job, gbs):
	"""A memory figure of a job (GB) when its memory was measured (sampled, needs psutil), else None

	A false 0 would read as "no memory used"; a sample of a live process is never 0.
	"""
	return gbs if job.mempeak else None


def _valueName(val):
	"""A report value: a Task or Job is shown by its name"""
	return val.name if isinstance(val, (Task, Job)) else val


@propslist
class JobInfo(object):
	"""A snapshot of a Job for reports: the original's properties, then the accounting of the run

	>>> JobInfo._props
	'name pid code tstart tstop memsize memkind task category duration'
	"""
	__slots__ = ('name', 'pid', 'code', 'tstart', 'tstop', 'memsize', 'memkind', 'task', 'category'
		, 'wslot', 'mempeak', 'wtime', 'utime', 'stime', 'rssmax', 'reason', 'accounting', 'errtail', '_results')
	_NPRIMARY = 9  # The original's properties; the rest are ours
	_ERRTAIL = 5  # Lines of a job's PIPE stderr kept in errtail

	def __init__(self, job, tstop=None, columns=()):
		"""job: Job  - the job to describe; tstop  - its stop time when the job itself has none
		columns: tuple(str)  - the result attributes of the job that its launcher declares (Launcher.columns):
			properties of this snapshot too, after the accounting
		"""
		self._results = {col: getattr(job, col, None) for col in columns}
		proc = job.proc
		self.name = job.name
		self.pid = proc.pid if proc is not None else None
		self.code = proc.returncode if proc is not None else None
		self.tstart = job.tstart
		self.tstop = job.tstop if job.tstop is not None else tstop
		# Memory as measured, or None ('-') when it was not: a job is measured once sampled
		self.memsize = _measuredMem(job, job.mem)
		self.memkind = job.memkind
		self.task = job.task
		self.category = job.category
		self.wslot = job.wslot
		self.mempeak = _measuredMem(job, job.mempeak)
		self.wtime = job.wtime
		self.utime = job.utime
		self.stime = job.stime
		self.rssmax = job.rssmax
		self.reason = job.reason
		self.accounting = job.accounting
		# The end of its PIPE stderr (where a failure is explained): its last lines, at most 1000 characters
		errtail = job.pipederr.rstrip('\n')[-1000:].split('\n')[-self._ERRTAIL:] if job.pipederr else None
		self.errtail = '\n'.join(errtail) if errtail and any(errtail) else None

	def __getattr__(self, name):
		"""A launcher's column"""
		if name != '_results':
			try:
				return self._results[name]
			except KeyError:
				pass
		raise AttributeError("'JobInfo' object has no attribute {!r}".format(name))

	def __contains__(self, prop):
		return prop in self._propset or prop in self._results

	def props(self):
		"""The names of all its properties: the slots, the launcher's columns, then the public names"""
		names = self._xprops.split()
		cut = names.index('accounting') + 1
		return names[:cut] + list(self._results) + names[cut:]

	def json(self):
		return {prop: _valueName(getattr(self, prop)) for prop in self.props()}

	@property
	def duration(self):
		"""Seconds from the start to the stop (or to now while running), None if never started"""
		if self.tstart is None:
			return None
		return (self.tstop if self.tstop is not None else time.perf_counter()) - self.tstart


@propslist
class TaskInfo(object):
	"""A snapshot of a Task for reports

	>>> TaskInfo._props
	'name tstart tstop numadded numdone numterm task duration'
	"""
	__slots__ = ('name', 'tstart', 'tstop', 'numadded', 'numdone', 'numterm', 'task')

	def __init__(self, task):
		self.name = task.name
		self.tstart = task.tstart
		self.tstop = task.tstop
		self.numadded = task.numadded
		self.numdone = task.numdone
		self.numterm = task.numterm
		self.task = task.task

	duration = JobInfo.duration


def infoheader(objprops, propflt):
	"""The column names: those of propflt (in its order) that objprops has, or all objprops"""
	if propflt:
		return tuple(prop for prop in propflt if prop in objprops)
	return tuple(objprops)


def _passes(pval, cond, present):
	"""Whether a property value satisfies one filter condition (a UiResFilterVal-like triple or None)

	An optional condition (opt) passes when the property is absent or None; a comparison between
	values of incomparable types (a str and a number) fails instead of raising.
	"""
	if cond is None:
		return pval is not None
	beg, end, opt = cond
	if not present or pval is None:
		return bool(opt)
	try:
		if end is None:
			return pval == beg
		return beg <= pval < end
	except TypeError:
		return False


def infodata(obj, propflt=None, objflt=None):
	"""The formatted values of an info object (JobInfo/TaskInfo), or None when objflt rejects it

	propflt: iterable(str)  - the properties to show (all of _props by default); one the object lacks
		is shown as '-'
	objflt: dict(str, UiResFilterVal or None)  - conditions on properties: None means "present and
		not None"; (beg, None, opt) an exact match; (beg, end, opt) the half-open range [beg, end);
		opt makes an absent or None property pass
	"""
	if objflt:
		for prop, cond in objflt.items():
			present = prop in obj
			if not _passes(_valueName(getattr(obj, prop)) if present else None, cond, present):
				return None
	return tuple(tblfmt(_valueName(getattr(obj, prop, None))) for prop in (propflt or obj.iterprop()))


class TaskInfoExt(object):
	"""A task of the hierarchy to report: its (header, values) props, its job rows and its subtasks"""
	__slots__ = ('props', 'jobs', 'subtasks')

	def __init__(self, props, jobs=None, subtasks=None):
		self.props = props
		self.jobs = jobs
		self.subtasks = subtasks


def tasksInfoExt(tinfe0, propflt=None, objflt=None):
	"""Complete the hierarchy of tasks above the ones that own the listed jobs

	tinfe0: dict(Task, TaskInfoExt)  - the tasks owning the listed jobs
	return dict(Task, TaskInfoExt)  - those tasks and all their ancestors, each listed once; an
		ancestor holds its children in `subtasks`
	"""
	tinfe = dict(tinfe0)
	linked = set()  # Tasks already attached to their owner: each is attached once, however many leaves
	for child in tinfe0:
		while child.task is not None and child not in linked:
			linked.add(child)
			owner = child.task
			oie = tinfe.get(owner)
			if oie is None:
				oie = tinfe[owner] = TaskInfoExt(_taskprops(owner, propflt, objflt))
			if oie.subtasks is None:
				oie.subtasks = []
			oie.subtasks.append(tinfe[child])
			child = owner
	return tinfe


def _taskprops(task, propflt=None, objflt=None):
	"""(header, values) of a task for the reports, None when objflt rejects it"""
	tinf = TaskInfo(task)
	values = infodata(tinf, propflt, objflt)
	return None if values is None else (infoheader(tinf.iterprop(), propflt), values)


# Nesting levels of the failure report shown by indentation; deeper rows keep that indentation and show
# their level as a number, so that a hierarchy thousands of levels deep stays readable
_REPORT_INDENT_MAX = 8


def printDepthFirst(tinfext, cindent='', indstep='  ', colsep=' '):
	"""Print a task hierarchy: the task's header and values, its jobs one level deeper, then its subtasks

	Iterative (any depth); a level beyond _REPORT_INDENT_MAX is indented as that one, with its number
	in brackets: '[1234] '.
	"""
	def indent(level):
		if level <= _REPORT_INDENT_MAX:
			return cindent + indstep * level
		return '{}{}[{}] '.format(cindent, indstep * _REPORT_INDENT_MAX, level)

	stack = [(tinfext, 0)]
	while stack:
		tie, level = stack.pop()
		if tie.props:
			for row in tie.props:
				_infomsg(indent(level) + colsep.join(tblfmt(v, 9) for v in row))
		for row in tie.jobs or ():
			_infomsg(indent(level + 1) + colsep.join(tblfmt(v, 9) for v in row))
		stack.extend((sub, level + 1) for sub in reversed(tie.subtasks or ()))


class TaskInfoPrefmt(object):
	"""One display row of a task hierarchy

	compound: True for a task header row, False for a job header row, None for a data row
	ident: int  - the nesting level
	"""
	__slots__ = ('compound', 'ident', 'data')

	def __init__(self, data, ident=0, compound=None):
		self.compound = compound
		self.ident = ident
		self.data = data

	def json(self):
		return {'compound': self.compound, 'ident': self.ident, 'data': self.data}


def unfoldDepthFirst(tinfext, indent=0):
	"""The rows of a task hierarchy, depth first: ([TaskInfoPrefmt], the widest row in cells); iterative"""
	rows = []
	wide = 0
	stack = [(tinfext, indent)]
	while stack:
		tie, level = stack.pop()
		if tie.props:
			rows.append(TaskInfoPrefmt(tie.props[0], level, True))
			rows.append(TaskInfoPrefmt(tie.props[1], level))
			wide = max(wide, level + len(tie.props[0]))
		if tie.jobs:
			rows.append(TaskInfoPrefmt(tie.jobs[0], level + 1, False))
			rows.extend(TaskInfoPrefmt(row, level + 1) for row in tie.jobs[1:])
			wide = max(wide, level + 1 + len(tie.jobs[0]))
		stack.extend((sub, level + 1) for sub in reversed(tie.subtasks or ()))
	return rows, wide

# === Argument checks ===================================================================================


# Seconds at most of any duration given to the pool (timeouts, delays, latencies): about 31 years. Larger
# values overflow the clocks and waits of the OS (a C time_t, int milliseconds) or mean "never" (0 does).
_SECONDS_MAX = 1e9


def _finite(value):
	"""Whether a real number is finite as a float: not inf, not NaN, not an int beyond the float range"""
	try:
		return math.isfinite(value)
	except OverflowError:  # An int such as 10**400
		return False


def _checkNumber(value, pname, minval=0, strict=False, allowNone=False, maxval=None):
	"""Return value if it is a finite real number >= minval (> minval when strict) and <= maxval,
	else raise naming pname (an int too large for a float, inf and NaN are refused: they overflow)"""
	if value is None and allowNone:
		return value
	if isinstance(value, bool) or not isinstance(value, (int, float)):
		raise TypeError('{} must be a number, not {!r}'.format(pname, value))
	if not _finite(value):
		raise ValueError('{} must be a finite number, not {!r}'.format(pname, value))
	if value <= minval if strict else value < minval:
		raise ValueError('{} must be {} {}, not {!r}'.format(pname, '>' if strict else '>=', minval, value))
	if maxval is not None and value > maxval:
		raise ValueError('{} must be <= {:g}, not {!r}'.format(pname, maxval, value))
	return value


def _checkSeconds(value, pname, allowNone=False):
	"""Return value if it is a duration in seconds: a number in [0, _SECONDS_MAX], else raise naming pname"""
	return _checkNumber(value, pname, allowNone=allowNone, maxval=_SECONDS_MAX)


def _checkArgs(args):
	"""Return args if the kernel can take them as a program and its arguments, else raise naming args

	Each argument is a str, bytes or os.PathLike without a NUL byte (execve(2) takes C strings).
	"""
	if args is not None and not isinstance(args, (str, list, tuple)):
		raise TypeError('args must be a sequence of program arguments, a str or None, not {!r}'.format(args))
	for arg in ((args,) if isinstance(args, str) else args or ()):
		if not isinstance(arg, (str, bytes, os.PathLike)):
			raise TypeError('args must hold str, bytes or os.PathLike items, not {!r} in {!r}'.format(arg, args))
		text = os.fspath(arg)
		if ('\0' if isinstance(text, str) else b'\0') in text:
			raise ValueError('args must not hold a NUL byte: {!r} in {!r}'.format(arg, args))
	return args


def _checkType(value, types, pname, allowNone=True):
	"""Return value if it is an instance of types (or None when allowed), else raise TypeError naming pname"""
	if (value is None and allowNone) or isinstance(value, types):
		return value
	raise TypeError('{} must be {}{}, not {!r}'.format(pname, ' or '.join(t.__name__ for t in
		(types if isinstance(types, tuple) else (types,))), ' or None' if allowNone else '', value))


_STREAMS = (sys.stdout, sys.stderr)  # The streams at import: the defaults of Job's stdout and stderr


def _checkOutput(value, pname):
	"""Return a stdout / stderr value of a documented kind (a path as str), else raise naming pname

	The kinds: None (inherit), a path (str or os.PathLike of str), subprocess.PIPE, subprocess.DEVNULL,
	subprocess.STDOUT (stderr only), a file object with a descriptor (sys.stdout and sys.stderr also
	without one, e.g. replaced by a StringIO: then the job inherits the pool's), or an int descriptor
	>= 0 that is open for writing now and is none of the pools' own (their event loop, wake-up pipe,
	jobs' pidfds and pipes, the guardian's pipe); the caller owns such a descriptor and keeps it open
	until the job ends.
	"""
	if any(value is stream for stream in _STREAMS + (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__)):
		return value
	kinds = 'None, a str path, subprocess.PIPE, subprocess.DEVNULL{}, a file object or a descriptor open for' \
		' writing'.format(', subprocess.STDOUT' if pname == 'stderr' else '')
	if value is None:
		return value
	if isinstance(value, os.PathLike):
		value = os.fspath(value)
	if isinstance(value, str):
		if not value or '\0' in value:
			raise ValueError('{} must be a non-empty path without NUL characters, not {!r}'.format(pname, value))
		return value
	if isinstance(value, int) and not isinstance(value, bool):
		if value in (subprocess.PIPE, subprocess.DEVNULL) or (value == subprocess.STDOUT and pname == 'stderr'):
			return value
		if value < 0:
			raise TypeError('{} must be {}, not {!r}'.format(pname, kinds, value))
		try:
			writable = fcntl.fcntl(value, fcntl.F_GETFL) & os.O_ACCMODE in (os.O_WRONLY, os.O_RDWR)
		except (OSError, OverflowError):
			raise TypeError('{} must be {}: {!r} is not an open descriptor'.format(pname, kinds, value)) from None
		if not writable:
			raise TypeError('{} must be {}: the descriptor {!r} is not open for writing'.format(pname, kinds, value))
		if _poolDescriptor(value):
			raise TypeError('{} must be {}: the descriptor {!r} is the pool\'s own'.format(pname, kinds, value))
		return value
	if callable(getattr(value, 'fileno', None)):
		try:
			value.fileno()
		except (OSError, ValueError) as err:  # io.UnsupportedOperation is both
			raise TypeError('{} must be {}: the file object {!r} has no descriptor ({}); PIPE captures the'
				' output'.format(pname, kinds, value, err)) from None
		return value
	raise TypeError('{} must be {}, not {!r}'.format(pname, kinds, value))

# === Task ==============================================================================================


class Task(object):
	"""A group of jobs and subtasks: started by its first job, finished once when all its items finished

	The task succeeds (ondone) only when all its direct items succeeded; onfinish is called in any case;
	both in the caller's thread, with the task as the only argument. A pool finishes the tasks it runs
	in its join(), when the caller added their items (see ExecPool._finishDueTasks); a finished task
	takes no new item.
	"""

	def __init__(self, name, timeout=0, onstart=None, ondone=None, onfinish=None, params=None
	, task=None, latency=1.5, stdout=sys.stdout, stderr=sys.stderr):
		"""Initialize a task

		name: str  - task name
		timeout: float  - seconds from the start of its first job after which its running jobs (also
			those of its subtasks) are terminated and its queued ones canceled; 0 means no limit
		onstart, ondone, onfinish  - callbacks called with the task when it starts (its first job
			starts), succeeds (all direct items succeeded) or finishes (in any case)
		params  - any user data for the callbacks
		task: Task  - the owner super-task
		latency: float  - timeout of the lock guarding the counters: None blocks, 0 tries once
		stdout, stderr  - kept for compatibility; jobs have their own channels
		"""
		self.name = _checkType(name, str, 'name', allowNone=False)
		self.timeout = _checkSeconds(timeout, 'timeout')
		self.task = _checkType(task, Task, 'task')
		if task is self:
			raise ValueError('task must not be the task itself: {!r}'.format(name))
		self._latency = _checkSeconds(latency, 'latency', allowNone=True)
		self.onstart = _bindCallback(onstart, self, 'onstart')
		self.ondone = _bindCallback(ondone, self, 'ondone')
		self.onfinish = _bindCallback(onfinish, self, 'onfinish')
		self.params = params
		self.stdout = stdout
		self.stderr = stderr
		self.tstart = None  # perf_counter() when its first job started
		self.tstop = None  # perf_counter() when its last item finished
		self.numadded = 0  # Direct items (jobs and subtasks) added
		self.numdone = 0  # Direct items that succeeded
		self.numterm = 0  # Direct items that failed or were terminated
		self._items = set()  # Unfinished direct items
		self._lock = threading.Lock()  # The counters may be read by the Web UI thread
		if task is not None:
			task.add(self)

	def __str__(self):
		return self.name

	def __repr__(self):
		try:
			state = ('finished ({} done, {} failed of {})'.format(self.numdone, self.numterm, self.numadded)
				if self.tstop is not None else 'running' if self.tstart is not None else 'not started')
			return '<Task {!r} {}>'.format(self.name, state)
		except Exception:  # A repr never raises
			return object.__repr__(self)

	def _locked(self):
		"""Acquire the counters' lock within the latency, else raise RuntimeError"""
		if self._latency is None:
			acquired = self._lock.acquire()
		elif self._latency > 0:
			acquired = self._lock.acquire(timeout=self._latency)
		else:
			acquired = self._lock.acquire(False)
		if not acquired:
			raise RuntimeError('The lock of the task "{}" was not acquired in {} s'.format(self.name, self._latency))

	def add(self, subtask):
		"""Register a direct item (a Job or a Task); called by their constructors

		A task finishes once: a finished task takes no new items (ValueError).
		return  - the task
		"""
		_checkType(subtask, (Job, Task), 'subtask', allowNone=False)
		self._locked()
		try:
			if self.tstop is not None:
				raise ValueError('the task "{}" has finished: it takes no new item, not "{}"'.format(self.name, subtask.name))
			if subtask not in self._items:
				self._items.add(subtask)
				self.numadded += 1
		finally:
			self._lock.release()
		return self

	def _start(self):
		"""Mark the task and its owners started (their first job starts); return the tasks started now"""
		started = []
		now = time.perf_counter()  # One instant: an owner never starts after its subtask
		task = self
		while task is not None and task.tstart is None:
			task.tstart = now
			started.append(task)
			task = task.task
		for task in reversed(started):  # Owners first, as their items start inside them
			if task.onstart:
				applyCallback(task.onstart, task.name)
		return started

	def finished(self, subtask, succeed):
		"""Account a finished direct item; finish the task (and its owners) at once when all its items finished

		The pool does not call it: it accounts the items of the tasks it runs and finishes the tasks
		later, when no item can be added to them meanwhile (see ExecPool._finishDueTasks).
		subtask: Job or Task  - the finished item
		succeed: bool  - whether it succeeded
		"""
		if self._account(subtask, succeed):
			_finishTasks((self,))

	def _account(self, item, succeed):
		"""Count a finished direct item; return whether all its items finished now"""
		self._locked()
		try:
			if item not in self._items:
				_warnmsg('ERROR, "{}" is not an unfinished item of the task "{}"'.format(_valueName(item), self.name))
				return False
			self._items.remove(item)
			if succeed:
				self.numdone += 1
			else:
				self.numterm += 1
			return not self._items
		finally:
			self._lock.release()

	def _finish(self):
		"""Finish the task whose items all finished: tstop, ondone (on success), onfinish; return its success"""
		self.tstop = time.perf_counter()
		if self.tstart is None:  # All its items were canceled before any started
			self.tstart = self.tstop
		succeeded = self.numdone == self.numadded
		if succeeded and self.ondone:
			applyCallback(self.ondone, self.name)
		if self.onfinish:
			applyCallback(self.onfinish, self.name)
		return succeeded

	def uncompleted(self, recursive=False, header=False, pid=False, tstart=False, tstop=False
	, duration=False, memory=False):
		"""The unfinished items of the task: a list of names, or of [name, <requested columns>] lists

		recursive: bool  - list the items of the subtasks as nested lists instead of the subtask names
		header: bool  - put a header first: 'Name', or the list of the requested column titles
		pid, tstart, tstop, duration, memory: bool  - the columns to add to each name
		"""
		columns = [(flag, title) for flag, title in ((pid, 'PID'), (tstart, 'Tstart'), (tstop, 'Tstop')
			, (duration, 'Duration'), (memory, 'Memory')) if flag]
		now = time.perf_counter()
		top = []
		stack = [(self, top)]  # (task, its list to fill): iterative, for hierarchies of any depth
		while stack:
			task, res = stack.pop()
			if header:
				res.append(['Name'] + [title for _, title in columns] if columns else 'Name')
			with task._lock:
				items = list(task._items)
			for item in items:
				if recursive and isinstance(item, Task):
					sub = []
					res.append(sub)
					stack.append((item, sub))
					continue
				if not columns:
					res.append(item.name)
					continue
				isjob = isinstance(item, Job)
				values = {'PID': item.proc.pid if isjob and item.proc is not None else None
					, 'Tstart': item.tstart, 'Tstop': item.tstop
					, 'Duration': now - item.tstart if item.tstart is not None else None
					, 'Memory': item.mem if isjob else None}
				res.append([item.name] + [values[title] for _, title in columns])
		return top


def _finishTasks(tasks):
	"""Finish the tasks whose items all finished, then their owners that finish with them: iterative, so
	a hierarchy of any depth finishes in one pass; a task that got a new item meanwhile stays open"""
	stack = list(tasks)
	while stack:
		task = stack.pop()
		if task.tstop is not None or task._items:
			continue
		succeeded = task._finish()
		if task.task is not None and task.task._account(task, succeeded):
			stack.append(task.task)

# === Job ===============================================================================================


class Job(object):
	"""An external program (or a stub without one) to run in the pool, with its constraints and callbacks

	Set by the pool when the job runs: tstart, tstop (perf_counter readings), proc (subprocess.Popen),
	pipedout / pipederr (str, when the channel is PIPE), terminates (termination requests of the
	current run), and when it finishes for good: wtime (wall seconds from its spawn to its exit),
	utime / stime (CPU seconds of its process tree, from the kernel), rssmax (GB, the peak resident
	memory of the largest process of its tree, from the kernel), mempeak (GB, the peak of the sampled
	memory estimate), reason (None when the process ended by itself, else why the pool stopped it),
	wslot (the worker slot it ran in) and accounting (where the figures came from: 'wait4' from the
	kernel's accounting of its process, or the launcher's own source; None when unknown), and the
	result attributes that the pool's launcher declares as its columns.
	"""
	_RTM = 0.85  # Retention of the memory estimate: mem = max(cur, mem * _RTM + cur * (1 - _RTM))

	def __init__(self, name, workdir=None, args=(), timeout=0, rsrtonto=False, task=None
	, startdelay=0., onstart=None, ondone=None, onfinish=None, params=None, category=None, size=0
	, slowdown=1., omitafn=False, memkind=1, memlim=0., stdout=sys.stdout, stderr=sys.stderr
	, poutlog=None, perrlog=None):
		"""Initialize a job; see the README for every parameter

		name: str  - job name
		workdir: str  - working directory of the process (not created; a missing one fails the job)
		args  - the program and its arguments (a sequence of str, bytes or os.PathLike without NUL bytes,
			or a str naming a program without arguments); None or empty makes a stub job that runs no
			process and completes gracefully
		timeout: float  - seconds after the start at which the job's process tree is terminated; 0: none
		rsrtonto: bool  - restart the job when it is terminated by its timeout (not a failure)
		task: Task  - the owner task
		startdelay: float  - seconds to wait in the caller after the process started
		onstart, ondone, onfinish  - callbacks called with the job on its start, its success, its end
		params  - any user data for the callbacks
		category, size, slowdown  - chained constraints: the jobs of a category with a larger weighted
			size (size * slowdown) than one that violated its timeout or memory limit are stopped too
		omitafn: bool  - do not pin this job to the CPUs of its worker slot
		memkind: int  - the memory measured: 0 the process, 1 its heaviest process, 2 its whole tree
		memlim: float  - GB the job may use, 0: no limit of its own
		stdout, stderr  - None (inherit), a file path (str or os.PathLike; appended), PIPE, DEVNULL, a file
			object, a descriptor open for writing that the caller owns, and for stderr also STDOUT
		poutlog, perrlog: str  - files where the non-empty PIPE outputs are appended after the job
		"""
		self.name = _checkType(name, str, 'name', allowNone=False)
		self.workdir = _checkType(workdir, str, 'workdir')
		if workdir is not None and '\0' in workdir:
			raise ValueError('workdir must not hold a NUL byte: {!r}'.format(workdir))
		self.args = _checkArgs(args)
		self.timeout = _checkSeconds(timeout, 'timeout')
		self.rsrtonto = bool(rsrtonto)
		self.task = _checkType(task, Task, 'task')
		self.startdelay = _checkSeconds(startdelay, 'startdelay')
		self.onstart = _bindCallback(onstart, self, 'onstart')
		self.ondone = _bindCallback(ondone, self, 'ondone')
		self.onfinish = _bindCallback(onfinish, self, 'onfinish')
		self.params = params
		self.category = category
		self.size = _checkNumber(size, 'size')
		self.slowdown = _checkNumber(slowdown, 'slowdown', strict=True)
		if memkind not in (0, 1, 2) or isinstance(memkind, bool):
			raise ValueError('memkind must be 0, 1 or 2, not {!r}'.format(memkind))
		self.memkind = memkind
		self.memlim = _checkNumber(memlim, 'memlim')
		self.stdout = _checkOutput(stdout, 'stdout')
		self.stderr = _checkOutput(stderr, 'stderr')
		self.poutlog = _checkType(poutlog, str, 'poutlog')
		self.perrlog = _checkType(perrlog, str, 'perrlog')
		# The state of the current run, set by the pool
		self.tstart = None  # perf_counter() at the (re)start, before onstart
		self.tstop = None  # perf_counter() at the end, after the callbacks
		self.proc = None  # subprocess.Popen of the current run
		self.pipedout = None  # str: the PIPE output of stdout
		self.pipederr = None  # str: the PIPE output of stderr
		self.terminates = 0  # Termination requests the pool sent in the current run
		self.wkslim = None  # Queue ordering key under memory limits: postponed jobs wait for fewer workers
		self.mem = 0.  # GB: smoothed memory estimate (or inherited from a heavier relative)
		self.chtermtime = None  # Chained termination: None no, True by timeout, False by memory
		self._memest = 0.  # GB: the demand expected at the start (0: unknown), counted while starting up
		self._memfresh = False  # Starting up: its samples do not show its demand yet
		self._memlast = None  # GB: its previous raw sample while starting up
		self._memticks = None  # CPU ticks of its process at that sample (None: not read)
		self._memstill = 0  # Samples in a row that showed no growth while starting up
		self._qseq = 0  # Enqueue order in the pool's queue (chained postponement applies to earlier ones)
		# The accounting of the run, set when the job finishes
		self.wslot = None  # Worker slot index the job ran in
		self.mempeak = 0.  # GB: peak of the sampled memory estimate
		self.wtime = None  # Seconds from the spawn to the exit of its process
		self.utime = None  # CPU user seconds of its process tree (os.wait4)
		self.stime = None  # CPU system seconds of its process tree
		self.rssmax = None  # GB: peak RSS of the largest process of its tree (os.wait4)
		self.reason = None  # Why the pool stopped it (None: its process ended by itself)
		self.accounting = None  # Where wtime/utime/stime/rssmax came from: 'wait4', or the launcher's source
		self._omitafn = bool(omitafn)
		self._restarting = False  # Stopped to be run again later (memory postponement, restart on timeout)
		self._run = None  # _Run: its current run in a pool, None once it completed
		self._outkeys = None  # {output path: its real path} counted as used in _OUTPUTS, from execute() to the end
		self._inpool = None  # The marker prefix of the ExecPool holding it from its execute() to its completion
		if task is not None:
			task.add(self)

	def __str__(self):
		return self.name

	def __repr__(self):
		try:
			if self.tstop is not None:
				state = 'finished with code {}{}'.format(self.proc.returncode if self.proc else '-'
					, ' ({})'.format(self.reason) if self.reason else '')
			elif self.proc is not None:
				state = 'running with PID {}'.format(self.proc.pid)
			else:
				state = 'not started'
			return '<Job {!r} {}>'.format(self.name, state)
		except Exception:  # A repr never raises
			return object.__repr__(self)


	def _noteMem(self, cur):
		"""Fold a memory sample (GB) into the estimate: it rises at once and decays slowly; return it"""
		self.mem = max(cur, self.mem * Job._RTM + cur * (1 - Job._RTM))
		if self.mem > self.mempeak:
			self.mempeak = self.mem
		return self.mem

	def lessmem(self, job):
		"""Whether this job needs less memory than job: True/False, None when unknown

		Compares the memory estimates when both are known, else the sizes within one category.
		"""
		if self.mem and job.mem:
			return self.mem < job.mem
		if self.size and job.size and self.category == job.category:
			return self.size < job.size
		return None

	def fetchPipedData(self, timeout=None):
		"""Collect what is left in the PIPE channels into pipedout / pipederr (str, UTF-8, invalid bytes replaced)

		The pool drains the pipes while the job runs, so this never deadlocks on a full pipe.
		timeout: float  - seconds to wait for the pipes to close (None: until they close, 0: no wait)
		"""
		pipes = self._run.pipes if self._run is not None else None
		if not pipes:
			return
		deadline = None if timeout is None else time.perf_counter() + timeout
		with selectors.DefaultSelector() as sel:
			for fd in pipes:
				sel.register(fd, selectors.EVENT_READ)
			while sel.get_map():
				wait = None if deadline is None else max(0., deadline - time.perf_counter())
				events = sel.select(wait)
				if not events:
					break
				for key, _ in events:
					if not _drainPipe(key.fd, pipes[key.fd]):
						sel.unregister(key.fd)
		self._closePipes()

	def _closePipes(self):
		"""Close the job's pipe ends and decode what they delivered"""
		run = self._run
		if run is None or not run.pipes:
			return
		proc = run.proc
		for stream, attr in ((proc.stdout, 'pipedout'), (proc.stderr, 'pipederr')):
			if stream is None:
				continue
			chunks = run.pipes.get(stream.fileno())
			if chunks is not None:
				setattr(self, attr, b''.join(chunks).decode('utf-8', 'replace'))
			stream.close()
		run.pipes = None

	def complete(self, graceful=None):
		"""Finish the job: collect its outputs, call ondone (on success) and onfinish, notify its task

		graceful: bool  - whether it succeeded; by default: its process exited with 0 unterminated
		"""
		graceful = self._conclude(graceful)
		if self.task is not None:
			self.task.finished(self, graceful)
		return graceful

	def _conclude(self, graceful=None):
		"""Finish the job but for its task: outputs, callbacks, tstop; return whether it succeeded"""
		if self._run is not None and self._run.pipes:
			self.fetchPipedData(0)
		self._logPiped()
		if graceful is None:
			graceful = self.terminates == 0 and self.reason is None and (self.proc is None or self.proc.returncode == 0)
		if graceful and self.ondone:
			applyCallback(self.ondone, self.name)
		if self.onfinish:
			applyCallback(self.onfinish, self.name)
		self._removeEmptyOutputs()
		self.tstop = time.perf_counter()
		proc = self.proc
		# A job canceled before it started keeps tstart None, as the original's (code tests it to know
		# that a job never ran)
		_infomsg('Completed {} "{}" #{} with errcode {}{}, {}'.format(
			'gracefully' if graceful else '(ABNORMALLY)', self.name, proc.pid if proc else '-'
			, proc.returncode if proc else '-', ' ({})'.format(self.reason) if self.reason else ''
			, 'ran {}'.format(_durationText(self.tstop - self.tstart))
				if self.tstart is not None else 'never started'))
		return graceful

	def _logPiped(self):
		"""Append the non-empty PIPE outputs to poutlog / perrlog, after a timestamp when a log is not empty

		A log that cannot be written is reported, and a file or folder made for it that stayed empty is removed.
		"""
		header = None
		for data, path in ((self.pipedout, self.poutlog), (self.pipederr, self.perrlog)):
			if not data or not path:
				continue
			folders = []
			fd = created = None
			try:
				folders = _makeParentDir(path)
				fd, created, plain, size = _openOutput(path)
				if plain and size:
					if header is None:
						header = timeheader()
					_writeAll(fd, (header + '\n').encode())
				_writeAll(fd, data.encode('utf-8', 'replace'))
			except OSError as err:
				_warnmsg('ERROR, the piped output of "{}" could not be logged to {}: {}'.format(self.name, path, err))
				if created is not None:
					_removeIfEmpty(path, created)
				_removeFolders(reversed(folders))
			finally:
				if fd is not None:
					os.close(fd)

	def _removeEmptyOutputs(self):
		"""Release the job's output paths: those the pool created and no other job uses are removed if empty"""
		_OUTPUTS.release(self)


class _Run(object):
	"""One run of a job: from its start in a pool to its end (a restart or a postponement starts a new run)

	Shared by the pool and its launcher: the pool's deadlines of a run are skipped once it ended, and
	the launcher keeps its own state of the run in `launch`. The job refers to it (job._run) until the
	job completes; then the pool drops it: the run refers to its job, and that cycle would leave both
	to Python's cyclic garbage collector, whose oldest generation a long pool's runs reach first.
	"""
	__slots__ = ('job', 'proc', 'slot', 'tspawn', 'marker', 'stdout', 'stderr', 'opened', 'pidfd', 'pipes'
		, 'ended', 'launch', 'due', '__weakref__')  # __weakref__: the tests see it freed

	def __init__(self, job, marker):
		self.job = job
		self.proc = None  # subprocess.Popen of its process
		self.slot = None  # The worker slot it holds, None: none (a sequential job beyond the slots)
		self.tspawn = None  # perf_counter() at the spawn
		self.marker = marker  # Environment marker of its process tree
		self.stdout = self.stderr = None  # The channel objects given to Popen
		self.opened = []  # Files the pool opened for its outputs, closed at its end
		self.pidfd = None  # pidfd of the process, watched by the pool's selector
		self.pipes = None  # {fd: [bytes chunks]} of the PIPE channels being drained
		self.ended = False  # Its process exited (or was abandoned): its deadlines are void
		self.launch = None  # The launcher's own state of this run
		self.due = 0  # Its entries in the pool's deadlines heap (void once it ended)

	def __repr__(self):
		return '<_Run of {!r}{}>'.format(self.job.name, ' ended' if self.ended else '')


# === Processes: output channels, process trees, the guardian ==========================================
# Every job runs in a session of its own (setsid), so its process group can be signalled at once, and
# carries an environment marker that its descendants inherit even when they leave the group: the
# marker finds them when the job is stopped, and the guardian process kills them if this process dies.

# The environment variable marking the processes of a job's tree: "<token>.<pool>.<job>." pieces,
# joined by ':' when a job of one pool runs a pool of its own
_JOBENV = 'PYEXPOOL_JOB'
# Seconds between checks for exited jobs where pidfds are missing (Python 3.8, Linux < 5.3, EMFILE)
_POLL_PERIOD = 0.005
# Seconds at most of one wait for events: epoll takes at most INT_MAX ms (24.8 days), so a farther
# deadline (a timeout of a month) is waited for in several waits
_WAIT_MAX = 3600.
# Errors of a start that mean "no descriptor is free now": the job waits for running ones to end
_FD_ERRNOS = (errno.EMFILE, errno.ENFILE)
# Descriptors a start may need at once: the output files or PIPEs (2 each), Popen's error pipe and
# /dev/null, the pidfd
_FD_START = 8
# Seconds between the Web UI snapshots published while the pool works
_UI_PERIOD = 0.25
# Finished jobs kept for the Web UI timeline
_HISTORY_LEN = 10000
# Memory samples kept for the Web UI chart
_MEMTRACE_LEN = 4096


_JOBENVB = _JOBENV.encode()


def _environ():
	"""A copy of the environment for a child, as bytes: what Popen passes on without re-encoding

	os.environ keeps the encoded environment in _data (CPython >= 3.2); copying it avoids decoding and
	encoding every variable for every job.
	"""
	data = getattr(os.environ, '_data', None)
	if isinstance(data, dict):
		return data.copy()
	return {os.fsencode(key): os.fsencode(val) for key, val in os.environ.items()}


def _findProgram(name, cache):
	"""The path of a program named without a '/', found in PATH once per cache ({(name, PATH): path}; None:
	Popen searches)

	The child would otherwise try an exec in each PATH directory before the right one, every time.
	"""
	if not isinstance(name, str) or '/' in name:
		return None
	path = os.environ.get('PATH', os.defpath)
	found = cache.get((name, path))
	if found is None and all(os.path.isabs(folder) for folder in path.split(os.pathsep)):
		found = shutil.which(name, path=path)  # Relative folders depend on each job's workdir
		if found is not None:
			cache[(name, path)] = found
	return found


def _markEnv(env, marker):
	"""Put a run's marker into the environment (bytes) of its process, after the marker of an outer pool's job"""
	outer = env.get(_JOBENVB)
	env[_JOBENVB] = outer + b':' + marker.encode() if outer else marker.encode()


def _pidfdWorks():
	"""Whether os.pidfd_open exists and the kernel supports it"""
	if not hasattr(os, 'pidfd_open'):
		return False
	try:
		os.close(os.pidfd_open(os.getpid()))
	except OSError:
		return False
	return True


_PIDFD = _pidfdWorks()


def _freeDescriptors():
	"""Descriptors this process can still open (below RLIMIT_NOFILE), None when unknown"""
	soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
	if soft == resource.RLIM_INFINITY:
		return None
	try:
		names = os.listdir('/proc/self/fd')  # Its own descriptor is listed: a conservative count
	except OSError as err:
		return 0 if err.errno in _FD_ERRNOS else None
	return soft - sum(1 for name in names if int(name) < soft)  # A new descriptor takes the lowest free number


def _exitcode(status):
	"""The Popen.returncode of a wait status: the exit code, or minus the signal number"""
	if os.WIFSIGNALED(status):
		return -os.WTERMSIG(status)
	return os.WEXITSTATUS(status)


def _ownPeakRss():
	"""The peak resident memory of this process in bytes (its ru_maxrss)"""
	return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # In KB on Linux


_ownPeakSeen = (None, 0)  # (pid, the highest _ownPeakRss() read so far): a peak only grows (a forked child has its own)


def _aboveOwnPeak(nbytes):
	"""Whether nbytes exceed this process's peak resident memory; the peak is read again only when the
	last reading does not decide (a job's figure at or below it is below the current one too)"""
	global _ownPeakSeen
	pid = os.getpid()
	if _ownPeakSeen[0] == pid and nbytes <= _ownPeakSeen[1]:
		return False
	_ownPeakSeen = (pid, _ownPeakRss())
	return nbytes > _ownPeakSeen[1]


def _makeParentDir(path):
	"""Create the missing parent directories of path; return them, outermost first"""
	missing = []
	folder = os.path.dirname(os.path.abspath(path))
	while folder and not os.path.isdir(folder):
		missing.append(folder)
		folder = os.path.dirname(folder)
	created = []
	for folder in reversed(missing):
		try:
			os.mkdir(folder)
			created.append(folder)
		except FileExistsError:
			pass  # Made meanwhile by another job writing beside this one
	return created


@functools.lru_cache(maxsize=4096)
def _realFolder(folder):
	"""The real path of an absolute folder path, cached: jobs write to few folders

	A folder that becomes a symbolic link meanwhile only spoils the counting of the users of a path,
	never what is removed: a file is removed only if it is still the one the pool created, a folder
	only if it is empty.
	"""
	return os.path.realpath(folder)


def _outputKey(path):
	"""The real path of an output path: the spellings of one file are one key"""
	path = os.path.abspath(path)
	if os.path.islink(path):
		return os.path.realpath(path)
	folder, name = os.path.split(path)
	return os.path.join(_realFolder(folder), name)


@functools.lru_cache(maxsize=4096)
def _folderChain(folder):
	"""An absolute folder and the folders above it, the nearest first, the root excluded"""
	chain = []
	while folder != os.path.dirname(folder):
		chain.append(folder)
		folder = os.path.dirname(folder)
	return tuple(chain)


def _removeFolders(folders):
	"""Remove the folders that are empty, in the order given"""
	for folder in folders:
		try:
			os.rmdir(folder)
		except OSError:
			pass  # Not empty (it holds other files) or gone


def _removeIfEmpty(path, ident):
	"""Remove the file at path if it is still the regular file ident (st_dev, st_ino) and empty"""
	try:
		st = os.lstat(path)
		if stat.S_ISREG(st.st_mode) and not st.st_size and (st.st_dev, st.st_ino) == ident:
			os.remove(path)
	except OSError:
		pass  # Gone or not accessible: nothing to remove


def _procPath(path):
	"""Whether path leads through /proc: a descriptor alias such as /dev/stderr -> /proc/self/fd/2"""
	for _ in range(40):  # The kernel follows 40 symbolic links at most
		try:
			if not stat.S_ISLNK(os.lstat(path).st_mode):
				return False
			folder = os.path.realpath(os.path.dirname(os.path.abspath(path)))
			if folder == '/proc' or folder.startswith('/proc/'):
				return True
			path = os.path.join(folder, os.readlink(path))
		except OSError:
			return False
	return False


def _openOutput(path):
	"""Open an output path to append to it, without blocking the pool: a FIFO needs its reader already

	return (fd, created, plain, size)  - created: (st_dev, st_ino) of the file if this call created it, else
		None; plain: a regular file named as such, which may take a separator line and be removed (not a
		device, a FIFO, a socket, nor a file reached through /proc as /dev/stderr); size: its size in bytes
	"""
	flags = os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC | os.O_NONBLOCK
	try:
		try:
			fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, 0o666)
			created = True
		except FileExistsError:  # O_CREAT still: a dangling symlink, or a file removed meanwhile
			fd = os.open(path, flags | os.O_CREAT, 0o666)
			created = False
	except OSError as err:
		if err.errno == errno.ENXIO and stat.S_ISFIFO(os.stat(path).st_mode):
			raise OSError(err.errno, 'no process reads this FIFO (open it for reading before the job starts)'
				, path) from None
		raise
	try:
		os.set_blocking(fd, True)  # The job writes to a FIFO or a device as to a console
		st = os.fstat(fd)
		if not stat.S_ISREG(st.st_mode):
			return fd, None, False, 0
		plain = created or not _procPath(path)
		return fd, (st.st_dev, st.st_ino) if created else None, plain, st.st_size
	except BaseException:
		os.close(fd)
		raise


def _writeAll(fd, data):
	"""Write all of data (bytes) to a blocking descriptor"""
	view = memoryview(data)
	while view:
		view = view[os.write(fd, view):]


class _OutputFiles(object):
	"""The output paths of the queued and running jobs, with the files and folders the pools made for them

	A job uses its stdout / stderr paths from its execute() to its end (across restarts and
	postponements). When the last job using a path ends, its file is removed if a pool of this process
	created it (the same inode still), it is a regular file and it is empty; then each folder above it
	that a pool created and that holds no output path of another job is removed if empty. Paths count by
	their real path (two spellings of a file are one path). A path no job uses is forgotten: whatever is
	found there later is not the pool's.
	"""

	def __init__(self):
		self._lock = threading.Lock()  # Pools may run in several threads
		self._users = {}  # Real path of an output file or of a folder above one -> its jobs (no entry: none)
		self._files = {}  # Real path -> (st_dev, st_ino) of a file a pool created, while jobs use it
		self._folders = set()  # Real paths of the folders a pool created, while jobs use them

	def acquire(self, job):
		"""Count the job's output paths as used, until release() (once: a job holds them once)"""
		if job._outkeys is not None:
			return
		keys = {path: _outputKey(path) for path in (job.stdout, job.stderr) if isinstance(path, str)}
		users = self._users
		with self._lock:
			for key in set(keys.values()):
				for used in (key,) + _folderChain(os.path.dirname(key)):
					users[used] = users.get(used, 0) + 1
		job._outkeys = keys

	def noteFile(self, job, path, ident):
		"""Record that the file at a job's output path was created by the pool, as ident (st_dev, st_ino)"""
		key = job._outkeys.get(path) if job._outkeys else None
		with self._lock:
			if key in self._users:
				self._files[key] = ident

	def noteFolders(self, folders):
		"""Record the folders the pool created for output paths that jobs use"""
		keys = [os.path.realpath(folder) for folder in folders]
		with self._lock:
			self._folders.update(key for key in keys if key in self._users)

	def release(self, job):
		"""The job ends: remove what the pool created for its outputs, left empty and used by no other job"""
		keys, job._outkeys = job._outkeys, None
		if not keys:
			return
		users = self._users
		with self._lock:
			for key in set(keys.values()):
				for used in (key,) + _folderChain(os.path.dirname(key)):  # The file first, then its folders up
					left = users.pop(used) - 1
					if left:
						users[used] = left
					elif used in self._files:
						_removeIfEmpty(used, self._files.pop(used))
					elif used in self._folders:
						self._folders.discard(used)
						_removeFolders((used,))


_OUTPUTS = _OutputFiles()


def _poolDescriptor(fd):
	"""Whether fd is one of the descriptors of a live pool's own work, or the pipe to the guardian"""
	guard = _guardian[2] if _guardian is not None and _guardian[0] == os.getpid() else None
	if guard is not None and guard.stdin is not None and not guard.stdin.closed and guard.stdin.fileno() == fd:
		return True
	return any(pool._ownsDescriptor(fd) for pool in list(_POOLS))


def _drainPipe(fd, chunks):
	"""Append what a non-blocking pipe holds to chunks; return False at its end (EOF)"""
	while True:
		try:
			data = os.read(fd, 65536)
		except BlockingIOError:
			return True
		except OSError:  # Closed meanwhile
			return False
		if not data:
			return False
		chunks.append(data)


def _lastPid():
	"""The pid allocated last in this pid namespace, None when unknown

	Read on every job, through a descriptor kept open: read at offset 0, procfs makes the value anew for the
	reader's pid namespace (a forked child, also in a new one, reads its own through it), checked before to
	be still that file (code may close every descriptor and another file take its number): 4.5 us here
	instead of 11 us for open, read and close.
	"""
	global _LASTPID
	if _LASTPID is not None:
		fd, ident = _LASTPID
		try:
			st = os.fstat(fd)
		except OSError:
			st = None
		if st is not None and (st.st_dev, st.st_ino) == ident:
			try:
				return int(os.pread(fd, 64, 0))
			except (OSError, ValueError):
				return None
	try:
		fd = os.open('/proc/sys/kernel/ns_last_pid', os.O_RDONLY | os.O_CLOEXEC)
	except OSError:
		return None
	st = os.fstat(fd)
	_LASTPID = (fd, (st.st_dev, st.st_ino))
	try:
		return int(os.pread(fd, 64, 0))
	except (OSError, ValueError):
		return None


_LASTPID = None  # (descriptor of /proc/sys/kernel/ns_last_pid, its (device, inode)) kept by _lastPid()


def _readAll(path):
	"""The bytes of a /proc file, read on every job: os.read costs a third of a file object

	A short read ends it: procfs and seq files fill the buffer given up to their end.
	"""
	fd = os.open(path, os.O_RDONLY)
	try:
		chunks = [os.read(fd, 65536)]
		while len(chunks[-1]) == 65536:
			chunks.append(os.read(fd, 65536))
	finally:
		os.close(fd)
	return b''.join(chunks) if len(chunks) > 1 else chunks[0]


# The most pids probed one by one for the processes created since a pid; more: /proc is listed
_PID_PROBE_MAX = 64


def _pidNames(after=None):
	"""The names of the process entries of /proc: all, or (after: a pid) those of the processes created
	since that pid was allocated (possibly gone meanwhile)"""
	last = _lastPid() if after is not None else None
	if last is None:
		return [name for name in os.listdir('/proc') if name.isdigit()]
	if after <= last:
		if last - after <= _PID_PROBE_MAX:  # A few new pids: cheaper to try them than to list /proc
			return [str(pid) for pid in range(after + 1, last + 1)]
		return [name for name in os.listdir('/proc') if name.isdigit() and after < int(name) <= last]
	return [name for name in os.listdir('/proc') if name.isdigit() and (int(name) > after or int(name) <= last)]


def _markedProcesses(prefix, after=None, skip=()):
	"""{marker: [pid]} of the processes whose _JOBENV holds a marker starting with prefix

	Reads /proc/<pid>/environ, the environment the program started with; processes of other users and
	those that cleared their environment are not found.
	after: int  - a pid: only the processes created since it are looked at. The kernel allocates pids
		cyclically, so they are the pids from after to the last allocated one (wrapping at pid_max), a
		short range right after a short job; the caller makes sure that no whole cycle passed since.
	skip: set(str)  - the pids (as names) known not to match, not read (the pool's other running jobs)
	"""
	key = (_JOBENV + '=').encode()
	found = {}
	for name in _pidNames(after):
		if name in skip:
			continue
		try:
			env = _readAll('/proc/' + name + '/environ')
		except OSError:  # Exited meanwhile, or not ours to read
			continue
		start = env.find(key)
		if start < 0 or (start and env[start - 1] != 0):
			continue
		end = env.find(b'\0', start)
		for marker in env[start + len(key):end if end >= 0 else None].decode('utf-8', 'replace').split(':'):
			if marker.startswith(prefix):
				found.setdefault(marker, []).append(int(name))
	return found


def _signalGroup(pgid, sig):
	"""Signal a process group; an empty or vanished group is fine"""
	try:
		os.killpg(pgid, sig)
	except (ProcessLookupError, PermissionError):
		pass  # The group is empty (all exited) or its pid was taken by another user's process


def _pgid(pid):
	"""The process group of a process, None when it is gone"""
	try:
		return os.getpgid(pid)
	except ProcessLookupError:
		return None


def _signalPids(pids, sig):
	"""Signal processes that may have exited meanwhile"""
	for pid in pids:
		try:
			os.kill(pid, sig)
		except (ProcessLookupError, PermissionError):
			pass  # Exited (and its pid possibly reused by a process that is not ours) meanwhile


def _treeMemory(pid, memkind):
	"""GB used by a process tree: 0 the process, 1 its heaviest process, 2 the sum over the tree

	The memory of a process is 0.9 RSS + 0.1 VMS (the original's estimate of its real demand); a
	process that is gone counts 0.
	"""
	return _treesMemory(((pid, memkind),))[0]


# The guardian: a small process that cleans up after this one when it dies, even by SIGKILL. It holds
# records of what the launchers started ("+<kind> <value>" lines on its stdin, "-<kind> <value>" when it
# ended) and waits for the end of its stdin pipe, whose only writer is this process. Then it acts on the
# records still held, kind by kind (each kind's action comes from the section of the launcher that makes
# such records: _guardianAction(); the launchers' own first, the process groups last), and kills every
# marked process.
_GUARDIAN_HEAD = r'''
import os, signal, sys, time
for name in ('SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGPIPE'):
	signal.signal(getattr(signal, name), signal.SIG_IGN)
held, rest = {}, b''
while True:
	data = os.read(0, 65536)
	if not data:
		break
	time.sleep(0.02)  # Records come in batches: a few wake-ups a second, not two per job (pipe: 64 KB)
	*lines, rest = (rest + data).split(b'\n')
	for line in lines:
		kind, _, value = line[1:].decode('utf-8', 'replace').partition(' ')
		if line[:1] == b'+':
			held.setdefault(kind, set()).add(value)
		else:
			held.get(kind, set()).discard(value)
'''
_GUARDIAN_TAIL = r'''
for kind, action in ACTIONS:
	if held.get(kind):
		action(held[kind])
key, token = sys.argv[1].encode() + b'=', sys.argv[2].encode()
for _ in range(100):
	found = False
	for name in os.listdir('/proc'):
		if not name.isdigit():
			continue
		try:
			with open('/proc/' + name + '/environ', 'rb') as fenv:
				env = fenv.read()
		except OSError:
			continue
		for var in env.split(b'\0'):
			if var.startswith(key) and any(m.startswith(token) for m in var[len(key):].split(b':')):
				try:
					os.kill(int(name), signal.SIGKILL)
					found = True
				except OSError:
					pass
				break
	if not found:
		break
	time.sleep(0.01)
'''
_GUARDIAN_ACTIONS = []  # (kind, name of its function, the code defining it), in the order of the sections


def _guardianAction(kind, code):
	"""Register the guardian's clean-up action for the records of a kind: code defines one function (its
	first line "def <name>(values):"), called with the set of values still held when this process died.
	It runs in a bare interpreter (python -I -S): the standard library only, os, signal, sys, time imported"""
	name = code.split('(', 1)[0].split()[-1]
	_GUARDIAN_ACTIONS.append((kind, name, code))


def _guardianCode():
	"""The guardian's program, assembled from the registered actions: the latest sections' first"""
	actions = _GUARDIAN_ACTIONS[::-1]
	return '\n'.join([_GUARDIAN_HEAD] + ['\n' + code for _, _, code in actions]
		+ ['ACTIONS = ({},)'.format(', '.join('({!r}, {})'.format(kind, name) for kind, name, _ in actions))
		, _GUARDIAN_TAIL])


_guardianAction('pgid', r'''
def killGroups(pgids):
	# A job's session and process group have its pid as id: kill both, whatever their members' environment
	ids = {int(pgid) for pgid in pgids}
	for pgid in ids:
		try:
			os.killpg(pgid, signal.SIGKILL)
		except OSError:
			pass
	for name in os.listdir('/proc'):
		if not name.isdigit():
			continue
		try:
			with open('/proc/' + name + '/stat', 'rb') as fstat:
				fields = fstat.read().rsplit(b')', 1)[1].split()
			if int(fields[3]) in ids:  # The session id (stat(5): state ppid pgrp session ...)
				os.kill(int(name), signal.SIGKILL)
		except (OSError, IndexError, ValueError):
			pass
''')
_guardian = None  # (pid of this process, token, Popen of its guardian)


def _processToken():
	"""The marker token of this process, starting its guardian on first use (again after a fork)"""
	global _guardian
	if _guardian is None or _guardian[0] != os.getpid():
		token = '{:x}{:x}.'.format(os.getpid(), int.from_bytes(os.urandom(4), 'little'))
		guard = None
		if sys.executable:
			try:
				guard = subprocess.Popen((sys.executable, '-I', '-S', '-c', _guardianCode(), _JOBENV, token)
					, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
					, start_new_session=True)
			except OSError as err:
				_warnmsg('WARNING, the guardian that stops the jobs if this process is killed did not start: {}'.format(err))
		_guardian = (os.getpid(), token, guard)
	return _guardian[1]


def _guard(kind, value, held=True):
	"""Tell the guardian to clean up a job's resource (kind: 'pgid', ...) if this process dies, or
	(held=False) that the resource is gone"""
	guardian = _guardian[2] if _guardian is not None and _guardian[0] == os.getpid() else None
	if guardian is None:
		return
	try:
		# One write(2) per record (written on the per-job path): a record shorter than PIPE_BUF reaches the
		# pipe whole (pipe(7)), in one system call instead of a buffered write and its flush
		os.write(guardian.stdin.fileno(), '{}{} {}\n'.format('+' if held else '-', kind, value).encode())
	except (OSError, ValueError):  # The guardian is gone (killed by someone): nothing to tell
		pass


def _unguard(kind, value):
	"""Tell the guardian that a job's resource is gone"""
	_guard(kind, value, held=False)


def _popen(args, kwargs, cpus=None):
	"""subprocess.Popen(args, **kwargs) pinned to cpus: a child inherits the affinity of the forking thread

	Where os.posix_spawn can do exactly what Popen would (_spawnActions), it starts the process instead.
	"""
	actions = _spawnActions(args, kwargs)
	if actions is None:
		start = functools.partial(subprocess.Popen, args, **kwargs)
	else:
		start = functools.partial(_SpawnedProcess, args, actions, kwargs)
	if not cpus:
		return start()
	inherited = os.sched_getaffinity(0)
	os.sched_setaffinity(0, cpus)
	try:
		return start()
	finally:
		os.sched_setaffinity(0, inherited)


# Popen's keyword arguments that os.posix_spawn can do alike (the others, e.g. cwd, take Popen)
_SPAWN_KWARGS = frozenset(('executable', 'cwd', 'stdin', 'stdout', 'stderr', 'env', 'start_new_session'))
# The signals Popen's restore_signals=True sets back to their default in the child (SIGXFZ is not Linux's).
# glibc's posix_spawn leaves its two own signals (32 and 33, below SIGRTMIN, which programs do not use: glibc and
# musl set their handlers at need) ignored in the child, and so in the program, as Python's own subprocess
# does where it uses posix_spawn; neither it nor sigaddset() lets them be set back
_SPAWN_SIGDEF = tuple(getattr(signal, name) for name in ('SIGPIPE', 'SIGXFZ', 'SIGXFSZ') if hasattr(signal, name))
_SPAWN_FDS_MAX = 64  # More open descriptors than this: a process is started by Popen (see _spawnActions)


def _spawnActions(args, kwargs):
	"""The file actions of os.posix_spawn that set up a child as subprocess.Popen(args, **kwargs) with its
	default close_fds=True would, or None when posix_spawn can not do it alike (Popen then starts it); the
	source of a dup2 action is PIPE for a pipe that _SpawnedProcess makes

	Why: Popen's Python (its handles, its error pipe, the environment encoded variable by variable) is
	a good part of the pool's work per job; posix_spawn does the same in C (glibc: vfork and exec, the
	exec's error reported to the caller). It does not change the working folder, and each standard stream
	must come from a descriptor above 2 (or be inherited unchanged), as dup2 actions in order would
	otherwise overwrite one another.
	"""
	if not _SPAWN_KWARGS.issuperset(kwargs) or kwargs.get('cwd') is not None or not kwargs.get('env'):
		return None
	program = kwargs.get('executable') or args[0]
	if not isinstance(program, str) or not os.path.isabs(program) or not isinstance(args, list):
		return None
	# close_fds=True: the inheritable descriptors above 2 are closed (the pool makes none: Python's descriptors
	# are not inheritable unless made so, PEP 446; a caller or the parent process may). Listing them costs
	# per descriptor: with many open (e.g. a big pool's kept cgroup files), Popen's close_range is cheaper.
	# With 0, 1 or 2 closed, a new pipe or /dev/null could take its number: Popen sorts that out
	fds = os.listdir('/proc/self/fd')
	if len(fds) > _SPAWN_FDS_MAX or not {'0', '1', '2'}.issubset(fds):
		return None
	actions = []
	for target, spec in enumerate((kwargs.get('stdin'), kwargs.get('stdout'), kwargs.get('stderr'))):
		if spec is None:
			continue  # Inherited
		if spec == subprocess.STDOUT and target == 2:
			actions.append((os.POSIX_SPAWN_DUP2, 1, 2))  # After the stdout's action: where the stdout goes
			continue
		if spec == subprocess.DEVNULL:
			spec = _devnull()
		elif isinstance(spec, int):
			if spec < 0 and spec != subprocess.PIPE:
				return None
		else:
			try:
				spec = spec.fileno()
			except (AttributeError, OSError, ValueError):
				return None
		if spec == target:
			if not os.get_inheritable(spec):
				return None  # Popen would make it inheritable
			continue
		if 0 <= spec <= 2:  # An earlier action may have replaced it
			return None
		actions.append((os.POSIX_SPAWN_DUP2, spec, target))
	for name in fds:
		fd = int(name)
		if fd > 2 and _inheritable(fd):
			actions.append((os.POSIX_SPAWN_CLOSE, fd))
	# glibc refuses an action on a descriptor at or above RLIMIT_NOFILE (EBADF), which a lowered limit leaves open
	limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
	if limit != resource.RLIM_INFINITY and any(action[1] >= limit for action in actions):
		return None
	return actions


def _inheritable(fd):
	"""Whether a descriptor is open and inheritable"""
	try:
		return os.get_inheritable(fd)
	except OSError:  # e.g. the descriptor of the directory listing, closed since
		return False


def _devnull():
	"""A descriptor of /dev/null kept for the standard streams of spawned processes (checked before each
	use: code that closes every descriptor may have closed it)"""
	global _DEVNULL
	if _DEVNULL is not None:
		fd, ident = _DEVNULL
		try:
			st = os.fstat(fd)
			if (st.st_dev, st.st_ino) == ident:
				return fd
		except OSError:
			pass
	fd = os.open(os.devnull, os.O_RDWR | os.O_CLOEXEC)
	st = os.fstat(fd)
	_DEVNULL = (fd, (st.st_dev, st.st_ino))
	return fd


_DEVNULL = None  # (descriptor, (device, inode)) of /dev/null kept by _devnull()


class _SpawnedProcess(subprocess.Popen):
	"""A child process started by os.posix_spawn where Popen would do the same (see _spawnActions): a
	subprocess.Popen in all but its start (binary pipes, as Popen's without text mode)"""

	def __init__(self, args, actions, kwargs):
		"""args, kwargs: as Popen's (see _spawnActions); actions: their file actions from _spawnActions()"""
		# The attributes Popen's own __init__ sets (Python 3.8 .. 3.13), for its methods to work alike
		self.args = args
		self.stdin = self.stdout = self.stderr = None
		self.pid = self.returncode = None
		self.encoding = self.errors = None
		self.text_mode = False
		self.pipesize = -1
		self._waitpid_lock = threading.Lock()
		self._input = None
		self._communication_started = False
		self._sigint_wait_secs = 0.25
		self._closed_child_pipe_fds = True
		self._child_created = False
		ends = {}  # Standard stream -> the pool's end of its pipe
		childends = []
		try:
			for i, action in enumerate(actions):
				if action[1] == subprocess.PIPE and action[0] == os.POSIX_SPAWN_DUP2:
					rfd, wfd = os.pipe()
					ends[action[2]], child = (wfd, rfd) if action[2] == 0 else (rfd, wfd)
					childends.append(child)
					actions[i] = (os.POSIX_SPAWN_DUP2, child, action[2])
			self.pid = os.posix_spawn(kwargs.get('executable') or args[0], args, kwargs['env'], file_actions=actions
				, setsid=bool(kwargs.get('start_new_session')), setsigdef=_SPAWN_SIGDEF)
		except BaseException:
			for fd in ends.values():
				os.close(fd)
			raise
		finally:
			for fd in childends:
				os.close(fd)
		self._child_created = True
		for target, fd in ends.items():
			setattr(self, ('stdin', 'stdout', 'stderr')[target], open(fd, 'wb' if target == 0 else 'rb'))


def _openChannel(job, spec, opened):
	"""The Popen channel for a stdout/stderr spec of a job, opening a path in append mode

	opened: dict  - path -> file already opened for this job (a path given for both shares one file)
	"""
	if isinstance(spec, str):
		fout = opened.get(spec)
		if fout is None:
			_OUTPUTS.noteFolders(_makeParentDir(spec))
			fd, created, plain, size = _openOutput(spec)
			fout = os.fdopen(fd, 'wb', buffering=0)  # Appends (O_APPEND) unseeked; nothing to flush (and fail) at close
			opened[spec] = fout
			if created is not None:
				_OUTPUTS.noteFile(job, spec, created)
			elif plain and size:  # Separate this run's output from the earlier ones
				try:
					_writeAll(fd, (timeheader() + '\n').encode())
				except OSError as err:  # The separator is a courtesy: the output is the job's
					_warnmsg('WARNING, "{}" runs without the separator line in {}: {}'.format(job.name, spec, err))
		return fout
	if spec is None or isinstance(spec, int):  # Inherit, PIPE, STDOUT, DEVNULL or a descriptor
		return spec
	try:
		spec.fileno()
	except (AttributeError, OSError, ValueError):  # e.g. a replaced sys.stdout without a descriptor
		return None
	return spec

# === Launchers: how a job's process is started, stopped and accounted ==================================
# The pool's loop, queue, memory balancing, tasks, callbacks and reports do not know which launcher runs
# a job: they see a local child process to watch (its pidfd and PIPE outputs), the figures the launcher
# sets on the job, and job.accounting, which names where those figures came from.


class Launcher(object):
	"""The interface between the pool and the mechanism that runs its jobs' processes

	A launcher serves one pool. spawn() starts a job's process as a local child that the pool watches;
	signal() reaches every process of a job's tree; reaped() sets the job's figures when its process
	exited, at once or later through collect(); sweep() and close() remove what the jobs left behind.
	Its state of a job's current run is job._run.launch (a _Run shared with the pool); what it leaves
	outside this process is recorded with the guardian (_guard(), its section's _guardianAction()).
	"""
	accounting = None  # job.accounting of the jobs it runs: 'wait4', or the name of its own source
	columns = ()  # Result attributes it sets on the jobs it runs (None until known): the reports show them

	def __init__(self):
		self._pool = None  # weakref of the ExecPool served: a pool's __del__ must still run on its last reference
		self.prefix = None  # The marker prefix of the pool's jobs (_JOBENV): each run's marker starts with it
		self.slots = None  # The pool's worker slots
		self.afnmask = None  # The pool's AffinityMask, None: no pinning

	@property
	def pool(self):
		"""The ExecPool served (None before attach() or once it is gone)"""
		return self._pool() if self._pool is not None else None

	def attach(self, pool, prefix, slots, afnmask):
		"""Serve a pool (once); raises ValueError if the launcher serves another pool already

		prefix, slots, afnmask: the pool's marker prefix, worker slots and AffinityMask (see __init__)
		"""
		if self.pool is not None and self.pool is not pool:
			raise ValueError('launcher {!r} serves another pool already: {!r}'.format(self, self.pool))
		self._pool = weakref.ref(pool)
		self.prefix, self.slots, self.afnmask = prefix, slots, afnmask

	def host(self, job):
		"""The host the job ran on (the job log's Host), None: this one"""
		return None

	# Its jobs' processes are not children of this process (they run elsewhere): spawn() returns a stand-in
	# with pid and returncode, no pidfd is watched, the output channels are given as the job's specs (not
	# opened here), and the ends come through ready() from the descriptors it watches (pool._watchFd)
	remote = False

	def room(self, job):
		"""Whether the job can start now (a node with a free slot and memory for it); None: the pool
		decides by its slots and memlimit alone (the default)"""
		return None

	def ready(self, fd):
		"""A descriptor the launcher watches is readable: the runs (_Run) whose processes ended, their
		proc.returncode set"""
		return ()

	def spawn(self, job, args, kwargs, cpus):
		"""Start the job's process; return its subprocess.Popen, a child of this process

		args: list  - the program (resolved by the pool where it could) and its arguments
		kwargs: dict  - Popen keywords prepared by the pool: executable, cwd, stdin, stdout, stderr,
			env (bytes; _markEnv() adds the run's marker, job._run.marker), start_new_session
		cpus: set  - the CPUs of the job's worker slot, None: not pinned
		Raises OSError when the process can not start.
		"""
		raise NotImplementedError

	def signal(self, jobs, sig):
		"""Deliver sig to every process of the running jobs' trees"""
		raise NotImplementedError

	def reaped(self, job, status, rusage):
		"""The job's main process exited: stop what is left of its tree and set its figures

		status, rusage  - from os.wait4, None when unknown (reaped elsewhere)
		Sets job.utime, job.stime, job.rssmax and job.accounting. Returns True when the figures are
		final, False when they come later through collect(): the pool then frees the job's slot at once
		and completes the job when collect() returns it.
		"""
		raise NotImplementedError

	kernelMemlim = False  # The kernel enforces job.memlim (the pool samples the memory only for memlimit)
	reserves = False  # reserved() gives every job's memory: the pool's memlimit admits by it, psutil or not

	def memoryKilled(self, job):
		"""Whether the kernel killed a process of the running job on its memlim; None: the pool enforces
		job.memlim by sampling"""
		return None

	def reserved(self, job):
		"""GB the cluster reserves for the job and holds it to; None: the pool samples the job's process
		tree (memory balancing, memlim), the default. The pool's memlimit then admits jobs by this figure"""
		return None

	def runsince(self, job):
		"""perf_counter() since which the job runs: its timeout counts from there; None while it waits
		for resources (the pool asks again later)"""
		return job.tstart

	def collect(self):
		"""(jobs whose figures are final now, perf_counter() of the next call or None)

		Called by the pool at the time it returned last, and after each spawn() while none is armed (a
		launcher may learn about its running jobs meanwhile); may set job.reason (e.g. from the state a
		cluster recorded) before returning a job whose reaped() returned False.
		"""
		return (), None

	def sweep(self):
		"""The pool terminates: stop whatever its jobs left behind (the launcher stays usable)"""

	def idle(self):
		"""The pool has no work (join() returned, or it terminated): release what was kept for its next jobs"""

	def close(self):
		"""The pool is gone: remove the launcher's leftovers"""

	def __repr__(self):
		return '<{}>'.format(type(self).__name__)


# Seconds that a job lives at most for the processes created since its start to be found among the pids
# allocated since its own: far less than a cycle of all the pids (pid_max: 32768 at least) takes
_PID_CYCLE_MIN = 1.


class LocalLauncher(Launcher):
	"""Jobs run as child processes of this one, each in a session of its own, with the job marker in
	their environment, accounted by the kernel through os.wait4 (the default launcher)"""
	accounting = 'wait4'

	def spawn(self, job, args, kwargs, cpus):
		_markEnv(kwargs['env'], job._run.marker)
		return self._spawnGroup(args, kwargs, cpus)

	@staticmethod
	def _spawnGroup(args, kwargs, cpus):
		"""Start the process in its own session and process group, guarded"""
		proc = _popen(args, kwargs, cpus)
		_guard('pgid', proc.pid)  # Its session and group have its pid as id
		return proc

	def signal(self, jobs, sig):
		# Each process gets the signal once: through its job's process group, or, when it left the group,
		# directly (a wrapper's one-shot SIGTERM handler must not be hit twice)
		for job in jobs:
			_signalGroup(job.proc.pid, sig)
		marked = _markedProcesses(jobs[0]._run.marker if len(jobs) == 1 else self.prefix)
		for job in jobs:
			_signalPids([pid for pid in marked.get(job._run.marker, ()) if _pgid(pid) != job.proc.pid], sig)

	def reaped(self, job, status, rusage):
		pid = job.proc.pid
		self._rusageFigures(job, rusage)
		# Whatever the job left running ends with it: its process group, and the marked descendants that
		# left the group. Those of a short job are among the few processes created since it started
		_signalGroup(pid, signal.SIGKILL)
		since = pid if job.wtime is not None and job.wtime < _PID_CYCLE_MIN else None
		# The pool's other running jobs, started since, carry their own markers (not this job's): unread
		pool = self.pool
		skip = {str(other.proc.pid) for other in pool._workers if other.proc is not None} if pool is not None else ()
		for pids in _markedProcesses(job._run.marker, after=since, skip=skip).values():
			_signalPids(pids, signal.SIGKILL)
		_unguard('pgid', pid)
		return True

	def sweep(self):
		for pids in _markedProcesses(self.prefix).values():  # Descendants that outlived their jobs
			_signalPids(pids, signal.SIGKILL)

	@staticmethod
	def _rusageFigures(job, rusage):
		"""The job's figures from os.wait4 (none when rusage is None)"""
		if rusage is None:
			return
		job.utime = rusage.ru_utime
		job.stime = rusage.ru_stime
		# The kernel counts the peak memory of the pool's process, which the child shares until its exec,
		# into the child's ru_maxrss: a peak not above the pool's own is not the job's (unknown, None)
		rssmax = rusage.ru_maxrss * 1024  # ru_maxrss is in KB on Linux
		job.rssmax = inGigabytes(rssmax) if _aboveOwnPeak(rssmax) else None
		job.accounting = 'wait4'


# PYEXPOOL_LAUNCHER names the launcher of every pool made without launcher=, so that code written for the
# original sends its jobs elsewhere unchanged; unset or empty: the default, chosen by the pool's cgroups=
_LAUNCHERENV = 'PYEXPOOL_LAUNCHER'
# The launchers a pool can get without launcher=: value of PYEXPOOL_LAUNCHER (None: the default) -> a
# function of the pool's cgroups= switch that makes the launcher; each optional launcher's section adds its own
_LAUNCHERS = {None: lambda cgroups: LocalLauncher()}


def _cgroupless(make):
	"""The _LAUNCHERS entry of a launcher made by make() that runs no cgroup per job: cgroups=True contradicts it"""
	def launcher(cgroups):
		if cgroups:
			raise ValueError('cgroups=True, but {}={!r} runs no cgroup per job'.format(_LAUNCHERENV
				, os.environ.get(_LAUNCHERENV)))
		return make()
	return launcher


_LAUNCHERS['local'] = _cgroupless(LocalLauncher)


def _defaultLauncher(cgroups):
	"""The launcher of a pool made without launcher=: the one PYEXPOOL_LAUNCHER names (ValueError naming the
	variable and its value when it names none), else the default for the pool's cgroups= (None, True, False)"""
	name = os.environ.get(_LAUNCHERENV) or None
	make = _LAUNCHERS.get(name)
	if make is None:
		raise ValueError('{} must be one of {} (or unset), not {!r}'.format(_LAUNCHERENV, ', '.join(sorted(
			key for key in _LAUNCHERS if key)), name))
	return make(cgroups)


# === Memory: process-tree sampling and the queue ordered for memory balancing ========================
# One sampling pass reads, for each watched job, /proc/<pid>/statm of the processes of its tree, found
# through /proc/<pid>/task/<tid>/children: the cost follows the jobs' trees, not the whole system (a
# psutil scan of every process per job would cost ~10 ms per sample on a quiet machine).

# Seconds between memory samples when the pool's latency is 0 (automatic): a job crossing its limit
# is stopped a fraction of a second later
_MEM_PERIOD = 0.2
# The automatic period grows (up to this many seconds) to keep the sampling below _MEM_SHARE of a core
_MEM_PERIOD_MAX = 1.0
_MEM_SHARE = 0.01
# A started job is "starting up" until a sample shows its demand: one whose memory grew by at most
# _MEM_SETTLE (relative) + _MEM_SETTLE_GB since the previous sample, while the job could run (its process
# used CPU time in between, or sleeps). Until then the demand expected from its kind is counted for it,
# and a job of unknown demand waits for the first of its kind.
_MEM_SETTLE = 0.05
_MEM_SETTLE_GB = 0.002
# Samples without that growth after which a job is past its start-up even if it could not run meanwhile
# (e.g. blocked on a slow disk): one stuck job does not hold the start of every other for good
_MEM_SETTLE_MAX = 5

_PAGESIZE = os.sysconf('SC_PAGE_SIZE')
_PROCFS = None  # Whether /proc/<pid>/statm and /proc/<pid>/task/<tid>/children are readable; found on use


def _procfsWorks():
	"""Whether the tree sampling can read /proc directly (Linux with CONFIG_PROC_CHILDREN)"""
	global _PROCFS
	if _PROCFS is None:
		pid = os.getpid()
		_PROCFS = os.path.exists('/proc/{}/statm'.format(pid)) and os.path.exists(
			'/proc/{}/task/{}/children'.format(pid, pid))
	return _PROCFS


def _readProc(path):
	"""Bytes of a small /proc file, None when the process is gone"""
	try:
		fd = os.open(path, os.O_RDONLY)
	except OSError:  # The process exited (or is not ours to read)
		return None
	try:
		return os.read(fd, 4096)
	except OSError:  # Exited while being read
		return None
	finally:
		os.close(fd)


def _procMem(pid):
	"""Bytes 0.9 RSS + 0.1 VMS of a process from /proc/<pid>/statm, None when it is gone"""
	data = _readProc('/proc/{}/statm'.format(pid))
	if not data:
		return None
	fields = data.split(None, 2)
	return (0.9 * int(fields[1]) + 0.1 * int(fields[0])) * _PAGESIZE


def _procChildren(pid):
	"""Pids of the children of a process: those forked by any of its threads"""
	try:
		tids = os.listdir('/proc/{}/task'.format(pid))
	except OSError:  # The process exited
		return []
	kids = []
	for tid in tids:
		data = _readProc('/proc/{}/task/{}/children'.format(pid, tid))
		if data:
			kids.extend(int(kid) for kid in data.split())
	return kids


def _treesMemory(roots):
	"""GB used by process trees, in one pass: [GB] for roots = [(pid, memkind)]

	memkind 0: the process itself, 1: the heaviest process of its tree, 2: the sum over its tree;
	the memory of a process is 0.9 RSS + 0.1 VMS; a tree that is gone counts 0.
	"""
	if _procfsWorks():
		memof, childrenof = _procMem, _procChildren
	else:  # No /proc children lists: one psutil scan builds the parent map for all the trees
		info = {}
		kidmap = {}
		for proc in psutil.process_iter(['pid', 'ppid', 'memory_info']):
			mi = proc.info['memory_info']
			if mi is not None:
				info[proc.info['pid']] = 0.9 * mi.rss + 0.1 * mi.vms
			kidmap.setdefault(proc.info['ppid'], []).append(proc.info['pid'])
		memof, childrenof = info.get, lambda pid: kidmap.get(pid, [])
	res = []
	for pid, memkind in roots:
		root = memof(pid)
		if root is None:
			res.append(0.)
			continue
		total = heaviest = root
		if memkind:
			stack = childrenof(pid)
			while stack:
				kid = stack.pop()
				mem = memof(kid)
				if mem is None:  # Exited meanwhile: its children (if any) went to their reaper
					continue
				total += mem
				if mem > heaviest:
					heaviest = mem
				stack.extend(childrenof(kid))
		res.append(inGigabytes(total if memkind == 2 else heaviest))
	return res


def _procProgress(pid):
	"""(state, CPU ticks) of a process from /proc/<pid>/stat, None when it is gone or unreadable"""
	data = _readProc('/proc/{}/stat'.format(pid))
	if not data:
		return None
	fields = data.rsplit(b')', 1)[-1].split()
	try:
		return fields[0].decode(), int(fields[11]) + int(fields[12])
	except (IndexError, ValueError):
		return None


def _memKind(job):
	"""What a job's memory demand is learned from: its category, else its program"""
	if job.category is not None:
		return ('category', job.category)
	prog = job.args if isinstance(job.args, str) else job.args[0] if job.args else None
	return ('program', prog if isinstance(prog, (str, bytes, type(None))) else str(prog))


def _heavierMem(job, origin):
	"""Whether job, of origin's category, uses at least as much memory as origin: by their estimates once
	job was sampled, else by size (a queued job's estimate inherited from a postponed relative is a lower
	bound, not its demand)"""
	if job.mempeak:
		return job.lessmem(origin) is False
	return job.size >= origin.size


def _freeMemory():
	"""GB of RAM available for new work (psutil's 'available')"""
	return inGigabytes(psutil.virtual_memory().available)


class _JobQueue(object):
	"""The queued jobs of a pool in start order, a deque-like object

	Jobs are grouped by wkslim, the number of workers that fitted in memory when the job was postponed
	(fresh jobs have the pool's slot count, or None without a memory limit): groups with a larger
	wkslim come first, and the jobs of a group are in FIFO order, a priority job at the front of its
	group. Every operation is O(1) or O(log groups), iteration and indexing beyond the ends are O(n).

	Chained postponement (SPEC 5.8): when a job is postponed, its relatives queued before it (same
	category, size >= its size) sink to its group and inherit its memory estimate when smaller. That is
	applied lazily, when such a relative reaches the head of the queue, from a short list of
	"floors" per category, instead of a scan of the queue per postponement.
	"""
	__slots__ = ('_groups', '_keys', '_len', '_floors', '_seq', '_clean')
	_TOP = sys.maxsize  # The group of the jobs without wkslim

	def __init__(self, jobs=()):
		self._groups = {}  # wkslim -> deque of jobs
		self._keys = []  # The wkslim of the non-empty groups, ascending
		self._len = 0
		self._floors = {}  # category -> [(seq, size, wkslim, mem)]: postponed origins of the chain
		self._seq = 0  # Enqueue counter, job._qseq
		self._clean = True  # The head needs no chained postponement
		self.extend(jobs)

	def __len__(self):
		return self._len

	def __bool__(self):
		return self._len > 0

	def __iter__(self):
		for key in reversed(self._keys):
			for job in self._groups[key]:
				yield job

	def __contains__(self, job):
		group = self._groups.get(self._key(job))
		return group is not None and job in group

	def __getitem__(self, index):
		if not isinstance(index, int):
			raise TypeError('queue indices must be integers, not {!r}'.format(index))
		if index < 0:
			index += self._len
		if not 0 <= index < self._len:
			raise IndexError('queue index out of range')
		if index == 0:
			self._normalize()
			return self._groups[self._keys[-1]][0]
		if index == self._len - 1:
			return self._groups[self._keys[0]][-1]
		return next(itertools.islice(iter(self), index, None))

	def __repr__(self):
		return '_JobQueue({!r})'.format([job.name for job in self])

	@classmethod
	def _key(cls, job):
		return job.wkslim or cls._TOP

	def append(self, job, priority=False):
		"""Queue a job at the end of its wkslim group, or at its front when priority"""
		key = self._key(job)
		group = self._groups.get(key)
		if group is None:
			group = self._groups[key] = collections.deque()
			bisect.insort(self._keys, key)
		job._qseq = self._seq
		self._seq += 1
		if priority:
			group.appendleft(job)
			self._clean = False
		else:
			group.append(job)
		self._len += 1

	def appendleft(self, job):
		"""Queue a job at the front of its wkslim group"""
		self.append(job, priority=True)

	def extend(self, jobs):
		"""Queue jobs in order"""
		for job in jobs:
			self.append(job)

	def popleft(self):
		"""Remove and return the job to start next"""
		if not self._len:
			raise IndexError('pop from an empty queue')
		self._normalize()
		key = self._keys[-1]
		group = self._groups[key]
		job = group.popleft()
		if not group:
			del self._groups[key]
			self._keys.pop()
		self._len -= 1
		self._clean = False
		if not self._len:
			self._floors.clear()
		return job

	def remove(self, job):
		"""Remove a queued job (ValueError if it is not queued)"""
		key = self._key(job)
		group = self._groups.get(key)
		if group is None:
			raise ValueError('{!r} is not queued'.format(job))
		group.remove(job)
		if not group:
			del self._groups[key]
			self._keys.remove(key)
		self._len -= 1
		self._clean = False

	def clear(self):
		"""Remove all jobs"""
		self._groups.clear()
		del self._keys[:]
		self._len = 0
		self._floors.clear()
		self._clean = True

	def sink(self, origin):
		"""Record that origin was postponed: its heavier relatives queued before it follow it"""
		if origin.category is None or not origin.size:
			return
		floor = (self._seq, origin.size, origin.wkslim or self._TOP, origin.mem)
		floors = self._floors.get(origin.category)
		if floors is None:
			self._floors[origin.category] = [floor]
		else:
			# Drop the floors the new one dominates: it applies to more jobs with a stronger effect
			floors[:] = [fl for fl in floors if not (floor[1] <= fl[1] and floor[2] <= fl[2] and floor[3] >= fl[3])]
			floors.append(floor)
		self._clean = False

	def _normalize(self):
		"""Apply the chained postponement to the head until the head needs none"""
		if self._clean:
			return
		while self._floors and self._len:
			key = self._keys[-1]
			job = self._groups[key][0]
			floors = self._floors.get(job.category) if job.size else None
			if not floors:
				break
			wkslim = key
			for seq, size, fwkslim, mem in floors:
				if job._qseq < seq and job.size >= size:
					if job.mem < mem:
						job.mem = mem
					if fwkslim < wkslim:
						wkslim = fwkslim
			if wkslim >= key:
				break
			group = self._groups[key]
			group.popleft()
			if not group:
				del self._groups[key]
				self._keys.pop()
			job.wkslim = wkslim
			group = self._groups.get(wkslim)
			if group is None:
				group = self._groups[wkslim] = collections.deque()
				bisect.insort(self._keys, wkslim)
			group.append(job)  # Behind the origin: it waits at least as long
		self._clean = True

# === ExecPool ==========================================================================================

_POOLSEQ = itertools.count(1)  # Pool numbers, part of the job markers
_POOLS = weakref.WeakSet()  # Live pools, terminated at interpreter exit


def _terminatePools():
	"""Terminate every live pool of this process (at interpreter exit: module globals are not reliably
	collected then, so __del__ alone could leave the jobs to the guardian's SIGKILL)"""
	for pool in list(_POOLS):
		try:
			pool.terminate()
		except Exception as err:  # Keep terminating the others
			_warnmsg('ERROR, the termination of the pool "{}" failed: {}'.format(pool.name, err))


def installTerminationHandlers(signals=('SIGTERM', 'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGABRT')):
	"""The README's Failsafe Termination in one call

	On any of these signals the program exits with 128 + the signal number; the pools running a
	join() terminate their jobs as the exit unwinds, and every other live pool is terminated at exit
	(as at any normal exit of the interpreter).
	SIGCHLD is reset to its default, which keeps the exit codes of the jobs.
	"""
	def onSignal(signum, frame):
		raise SystemExit(128 + signum)

	for name in signals:
		sig = getattr(signal, name) if isinstance(name, str) else name
		signal.signal(sig, onSignal)
	signal.signal(signal.SIGCHLD, signal.SIG_DFL)


# Worker slots at most: PID_MAX_LIMIT of 64-bit Linux (include/linux/threads.h), as no more processes can
# exist at once; a larger wksnum is a mistake (slots are made on first use, so any wksnum costs nothing)
_WKSNUM_MAX = 4 * 1024 * 1024


# The life of a pool: one state, changed under its _uilock by these transitions (ExecPool's _step(), _loop(),
# _leaveLoop(), _endWork(), _terminateLocked(), alive's setter):
#   READY --a step (execute(), join()'s steps)--> WORKING --its end--> the state before
#   READY --join(), a sequential job--> LOOPING (its steps: WORKING and back) --its end--> the state before
#   WORKING, LOOPING --terminate() (a callback, a signal handler, another thread)--> STOPPING
#   STOPPING --the end of the outermost step or loop--> TERMINATING --> TERMINATED
#   READY, HALTED --terminate()--> TERMINATING --> TERMINATED --clear(), alive = True--> READY
#   READY --alive = False--> HALTED --alive = True--> READY
_READY = 'ready'  # Alive; nobody works in it
_WORKING = 'working'  # Alive; a step of its work runs (in the thread holding _uilock): a termination waits for its end
_LOOPING = 'looping'  # Alive; join() (or a sequential job) runs its loop, between its steps
_STOPPING = 'stopping'  # Not alive; a termination was asked while it worked: the work's end terminates it
_HALTED = 'halted'  # Not alive (set False by the user while nobody worked); terminate() or join() terminates it
_TERMINATING = 'terminating'  # Not alive; stopping its jobs
_TERMINATED = 'terminated'  # Not alive, idle; clear() makes it _READY again
_ALIVE = frozenset((_READY, _WORKING, _LOOPING))
_IDLE = frozenset((_READY, _HALTED, _TERMINATED))  # Nobody works in it


class ExecPool(object):
	"""A pool of worker slots running Jobs in separate processes under timeouts and memory limits

	Jobs start at once in execute() while a slot is free, else they are queued; join() runs the event
	loop until all of them finished. Callbacks run in the caller's thread, inside execute() and join().
	"""
	_CPUS = os.cpu_count() or 1
	_MEMLOW = _RAM_SIZE - _RAM_LIMIT  # GB of free RAM below which the memory is short
	_GOLDEN = (1 + 5 ** 0.5) / 2
	# The clamps of the age weighting in the choice of the jobs to postpone for the group memory limit
	_JMEMLIMH = _GOLDEN
	_JMEMLIML = 1 / _GOLDEN
	_JMEMTRR = 3 - _GOLDEN  # Safety ratio applied to a job's expected memory

	def __init__(self, wksnum=max((os.cpu_count() or 1) - 1, 1), afnmask=None, memlimit=0., latency=0., name=None
	, webuiapp=None, vmlimit=None, killgrace=None, cgroups=None, launcher=None):
		"""Initialize the pool

		wksnum: int  - worker slots (jobs run at once), in [1, _WKSNUM_MAX]; may exceed the CPUs for
			I/O-bound jobs
		afnmask: AffinityMask or int  - CPU groups of the slots (an int is taken as the affinity step);
			None: no pinning
		memlimit: float  - GB the running jobs may use together (clamped to _RAM_LIMIT); 0: no limit
		latency: float  - seconds between memory samples; 0 picks it automatically
		name: str  - pool name shown in the messages
		webuiapp: mpewui.WebUiApp  - a Web UI serving this pool
		vmlimit: float  - alias of memlimit
		killgrace: float  - seconds from the SIGTERM asking a job's processes to stop to the SIGKILL;
			None: _KILL_GRACE (2 s)
		cgroups: bool  - a cgroup per job: None where usable, True required, False never
		launcher: Launcher  - how the jobs' processes are started, stopped and accounted; None: the one
			the environment variable PYEXPOOL_LAUNCHER names (_LAUNCHERS), else the default as cgroups says
		"""
		self._sel = None  # Set first: __del__ of a pool whose checks failed finds nothing to stop
		if isinstance(wksnum, bool) or not isinstance(wksnum, int):
			raise TypeError('wksnum must be an int, not {!r}'.format(wksnum))
		if not 1 <= wksnum <= _WKSNUM_MAX:
			raise ValueError('wksnum must be in [1, {}], not {!r}'.format(_WKSNUM_MAX, wksnum))
		if vmlimit is not None:
			if memlimit:
				raise ValueError('give memlimit or its alias vmlimit, not both: {!r}, {!r}'.format(memlimit, vmlimit))
			memlimit = vmlimit
		_checkNumber(memlimit, 'memlimit')
		_checkSeconds(latency, 'latency')
		if killgrace is None:
			killgrace = _KILL_GRACE
		_checkSeconds(killgrace, 'killgrace')
		_checkType(name, str, 'name')
		if webuiapp is not None and not all(callable(getattr(webuiapp, meth, None)) for meth in ('register', 'publish')):
			raise TypeError('webuiapp must be a mpewui.WebUiApp (with register() and publish()) or None, not {!r}'.format(webuiapp))
		if cgroups not in (None, True, False):
			raise ValueError('cgroups must be None (where usable), True or False, not {!r}'.format(cgroups))
		if launcher is None:
			launcher = _defaultLauncher(cgroups)
		elif not isinstance(launcher, Launcher):
			raise TypeError('launcher must be a Launcher (e.g. LocalLauncher()), not {!r}'.format(launcher))
		elif cgroups:
			raise ValueError('cgroups=True applies to the default launcher, not to launcher={!r}'.format(launcher))
		if isinstance(afnmask, int) and not isinstance(afnmask, bool):
			afnmask = AffinityMask(afnmask)  # The original's README passes the affinity step
		elif afnmask is not None and not isinstance(afnmask, AffinityMask):
			raise TypeError('afnmask must be an AffinityMask, an int affinity step or None, not {!r}'.format(afnmask))
		if afnmask is not None and wksnum > len(afnmask) and not launcher.remote:  # Remote: the nodes' CPUs
			_warnmsg('WARNING{}, wksnum {} is reduced to {}: the CPU groups of affinity step {} available'.format(
				_nameSuffix(name), wksnum, len(afnmask), afnmask.afnstep))
			wksnum = max(1, len(afnmask))
		self.name = name
		self._initMemory(memlimit, latency, launcher.reserves)  # memlimit (GB the running jobs may use together), latency
		self.killgrace = killgrace  # Seconds from a job's SIGTERM to its SIGKILL
		self._state = _READY  # The pool's life (see _READY ...); alive reads it
		self._stopreason = None  # The reason of a termination deferred to the end of the current work
		self._looper = None  # The thread running the pool's loop (join(), a sequential job)
		self.failures = []  # [JobInfo] of the jobs that finished for good without success
		self.jobsdone = 0  # Jobs that succeeded
		self.tasks = set()  # Tasks of the started jobs, with their owners
		self._wkslim = wksnum  # Worker slots
		self._workers = set()  # Running jobs
		self._settling = set()  # Jobs whose process exited, waiting for their figures from the launcher
		self._collectat = None  # perf_counter() of the armed collection of the settling jobs' figures
		self._jobs = _JobQueue()  # Queued jobs, in start order (deque-like, ordered by wkslim)
		self._tstart = None  # perf_counter() of the first execute() since the last reset: join(timeout) origin
		self._afnmask = afnmask
		self._affinity = [None] * wksnum if afnmask else None  # Slot -> pid of the pinned job (original's)
		self._freeslots = []  # Heap of the released slot indices: the lowest first
		self._nextslot = 0  # Slots below it were made (a slot is made on first use: wksnum may be large)
		self._polled = set()  # Running jobs whose exit is polled: no pidfd (Python 3.8, Linux < 5.3, EMFILE)
		self._duetasks = []  # Tasks whose items all finished, to finish when no item can be added meanwhile
		self._interrupt = None  # A BaseException a callback raised: raised again once the pool terminated
		self._fdshort = False  # Descriptors ran out: a job starts only while _FD_START are free
		self._fdwarned = False  # That was said (once)
		self._history = collections.deque(maxlen=_HISTORY_LEN)  # JobInfo of the finished jobs
		self._memtrace = collections.deque(maxlen=_MEMTRACE_LEN)  # (perf_counter, jobs GB, free GB)
		self._reported = 0  # Failures already shown in a report
		self._prefix = '{}{}.'.format(_processToken(), next(_POOLSEQ))  # Marker prefix of its jobs
		self._jobseq = itertools.count(1)
		self._deadlines = []  # Heap of (perf_counter, seq, run, action): action() unless run ended
		self._dseq = itertools.count()  # Tie-break of equal deadlines
		self._void = 0  # Entries of _deadlines whose runs ended
		self._webuiapp = webuiapp
		self._uinext = 0.  # perf_counter() of the next Web UI snapshot
		self._uipending = False  # A change of the state is not published yet (held back by the rate limit)
		self._uilock = threading.RLock()  # Held in each step of the pool and over its state's transitions: the
		# Web UI's thread takes a snapshot itself (_uiRefresh) only while the pool is outside them, and
		# execute() from another thread waits for the step running
		self._uifailed = False  # A snapshot failed (reported once)
		self._wakefds = os.pipe()  # terminate() from a signal handler ends the loop's wait through it
		self._programs = {}  # (program name, PATH) -> its path found in PATH
		for fd in self._wakefds:
			os.set_blocking(fd, False)
		self._sel = selectors.DefaultSelector()
		self._sel.register(self._wakefds[0], selectors.EVENT_READ, ('wake', None))
		self._launcher = launcher  # Starts, stops and accounts the jobs' processes
		launcher.attach(self, self._prefix, wksnum, afnmask)
		if webuiapp is not None:
			webuiapp.register(self)
		if not _POOLS:
			atexit.unregister(_terminatePools)  # Registered once, however many pools come and go
			atexit.register(_terminatePools)
		_POOLS.add(self)

	def __repr__(self):
		try:
			return '<ExecPool {!r} {}, {} running / {} slots, {} queued, {} done, {} failed>'.format(
				self.name, 'alive' if self.alive else 'terminated', len(self._workers), self._wkslim
				, len(self._jobs), self.jobsdone, len(self.failures))
		except Exception:  # A repr never raises
			return object.__repr__(self)

	@property
	def alive(self):
		"""False once terminated (or terminating); clear() (or setting it True) makes the pool usable again"""
		return self._state in _ALIVE

	@alive.setter
	def alive(self, value):
		with self._uilock:
			if value and self._state in (_TERMINATED, _HALTED):
				self._state = _READY
			elif not value and self._state == _READY:
				self._state = _HALTED
			elif not value and self._state in _ALIVE:  # As terminate() called from a callback: at the work's end
				self._stopreason = self._stopreason or 'pool termination'
				self._state = _STOPPING

	def __enter__(self):
		if not self.alive:
			self.clear()
		return self

	def __exit__(self, etype, evalue, tracebk):
		self.terminate()

	def __del__(self):
		if getattr(self, '_sel', None) is None:
			return  # The constructor failed before the pool could hold anything
		try:
			self.terminate()
			self._launcher.close()
			self._sel.close()
			for fd in self._wakefds:
				os.close(fd)
		except Exception:  # At interpreter shutdown the modules may be gone; the guardian stops the jobs
			pass

	def __finalize__(self):
		"""Terminate the pool"""
		self.terminate()

	# --- Public operations -----------------------------------------------------------------------------

	def execute(self, job, concur=True):
		"""Start the job at once if a slot is free (and memory allows), else queue it

		job: Job  - the job to run
		concur: bool  - False runs it in the caller until it finishes (other jobs go on meanwhile)
		return int  - 0 when the job started or was queued; the exit code in sequential mode; -1 when
			its onstart failed, the error number when its process could not start, EINTR when the pool
			is not alive (the job is then completed as failed: 'pool termination')
		Raises ValueError when the job is queued or running already (here or in another pool).
		From another thread while join() runs, the job is queued for the joining thread's loop (its
		callbacks run there; concur=False raises RuntimeError).
		"""
		_checkType(job, Job, 'job', allowNone=False)
		self._checkMemory(job)
		with self._uilock:  # Another thread's step ends first
			return self._execute(job, concur)

	def _execute(self, job, concur):
		"""execute() holding _uilock"""
		# Another thread runs the loop (join()): the job is queued for it, its callbacks run there
		elsewhere = self._state == _LOOPING and self._looper != threading.get_ident()
		if elsewhere and not concur:
			raise RuntimeError('execute(concur=False) of the execution pool{} is called from another thread while'
				' join() runs: the job would run in that thread; execute it concurrently'.format(_nameSuffix(self.name)))
		if job._inpool is not None:  # A second process of it would escape the pool's watch
			raise ValueError('the job "{}" is queued or running already{}: it can be executed again once it'
				' finished'.format(job.name, '' if job._inpool == self._prefix else ' in another pool'))
		if job.tstop is not None:  # Executed again: a new run of a finished job
			if job.task is not None:
				job.task.add(job)  # A finished task refuses it
			job.tstart = job.tstop = job.proc = job.reason = None
		job._inpool = self._prefix
		for col in self._launcher.columns:  # Its launcher's results read None until known
			if not hasattr(job, col):
				setattr(job, col, None)
		_OUTPUTS.acquire(job)  # Its output paths are in use from now on, also while it is queued
		if not self.alive:
			_warnmsg('WARNING{}, scheduling of the job "{}" is canceled: the execution pool is not alive'.format(
				_nameSuffix(self.name), job.name))
			with self._step():
				job.reason = 'pool termination'
				self._complete(job, False)
			return errno.EINTR
		if self._tstart is None:
			self._tstart = time.perf_counter()
		if elsewhere:  # A producer thread feeds a pool that another thread joins
			if self._memlimited() and job.wkslim is None:
				job.wkslim = self._wkslim
			self._enqueue(job)
			self._wakeLoop()
			return 0
		if not concur:
			return self._runSequential(job)
		if self._memlimited() and job.wkslim is None:
			job.wkslim = self._wkslim
		reap = self._state != _WORKING
		if reap and len(self._workers) >= self._wkslim and not self._actionable():
			# No slot is free and nothing ended or came due since the last step: the job just queues (a whole
			# step, with nothing to act on, cost twice the queueing of a producer that executes many jobs)
			self._enqueue(job)
			self._publishUi()
			return 0
		with self._step():
			if reap:
				self._act(wait=False)  # Reap what finished meanwhile, so its slot serves this job
			if self.alive and not self._jobs and len(self._workers) < self._wkslim and self._fits(job):
				code = self._start(job)
			else:
				self._enqueue(job)
				code = 0
			self._publishUi()  # Also a caller that executes jobs and joins later sees them
		return code

	def join(self, timeout=0.):
		"""Run the event loop until every job finished, or until the timeout

		timeout: float  - seconds since the first execute() (since the last reset) after which the
			pool is terminated; 0: no limit
		return bool  - True when all jobs finished (successfully or not), False on the timeout, on
			termination, or when nothing was executed
		Raises RuntimeError when called from a callback of the pool (its loop runs it) or while another
		thread joins. Other threads may execute() jobs meanwhile: the loop runs them, their callbacks
		run in this thread.
		"""
		_checkSeconds(timeout, 'timeout')
		with self._uilock:
			if self._state in (_WORKING, _STOPPING, _TERMINATING) or (self._state == _LOOPING
			and self._looper == threading.get_ident()):  # Its loop would run inside its own step
				raise RuntimeError('join() of the execution pool{} is called from its callback: callbacks run inside'
					' execute() and join(); join after them'.format(_nameSuffix(self.name)))
			if self._state == _LOOPING:
				raise RuntimeError('join() of the execution pool{} is running in another thread already'.format(
					_nameSuffix(self.name)))
		with self._step():
			self._finishDueTasks()
		if self._tstart is None:
			return False
		deadline = self._tstart + timeout if timeout else None
		if not self._loop(lambda: self._workers or self._jobs or self._settling, deadline, True):
			return False
		if not self.alive:  # terminate() was called from a callback, a signal handler or another thread
			if self._state == _HALTED:  # alive was set False before: the loop did not run
				self._terminate('pool termination')
			return False
		self._traceFailures()
		_infomsg('The execution pool{} is completed, duration: {}'.format(_nameSuffix(self.name)
			, _durationText(time.perf_counter() - self._tstart)))
		self._tstart = None
		self._launcher.idle()
		self._publishUi(True)
		return True

	def clear(self):
		"""Make an idle pool usable again: alive, no failures, no tasks, counters reset

		Raises ValueError if jobs are queued or running.
		"""
		if self._jobs or self._workers or self._settling:
			raise ValueError('A pool with {} queued and {} running jobs can not be cleared'.format(
				len(self._jobs), len(self._workers) + len(self._settling)))
		_infomsg('A dirty execution pool{} is cleared'.format(_nameSuffix(self.name)))
		self._tstart = None
		self.alive = True  # _TERMINATED -> _READY
		self.failures = []
		self._reported = 0
		self.jobsdone = 0
		self.tasks = set()
		self._history.clear()
		self._memtrace.clear()
		self._publishUi()

	def terminate(self):
		"""Stop the running jobs' process trees, cancel the queued jobs (as failed), make the pool not alive

		Safe to call from a callback or a signal handler: inside the event loop the termination
		completes at the end of the current step, and join() then returns False.
		"""
		self._terminate('pool termination')

	# --- The event loop --------------------------------------------------------------------------------

	def _cycle(self, limit=None, wait=True):
		"""One step of the event loop: wait for events (at most until limit) and act on them"""
		with self._step():
			self._act(limit, wait)

	def _act(self, limit=None, wait=True, events=None):
		"""The body of a loop step: wait for events (unless given), act on them and on the due deadlines,
		start jobs"""
		if events is None:
			events = self._waitEvents(limit if wait else time.perf_counter())
		self._onEvents(events)
		self._fireDeadlines()
		if self.alive:
			self._startQueued()
		self._publishUi()

	def _loop(self, working, deadline=None, joining=False):
		"""Run the event loop in this thread while working() and the pool is alive, until deadline

		The wait for events holds no lock: another thread may execute() meanwhile (it wakes the loop).
		joining: the tasks whose items all finished are finished after each step (the caller adds none)
		return bool  - False when the pool was terminated on the deadline
		"""
		with self._uilock:  # Transition: -> _LOOPING (steps inside go to _WORKING and back)
			outer, outlooper = self._state, self._looper
			if outer not in _ALIVE:
				return True
			self._state, self._looper = _LOOPING, threading.get_ident()
		try:
			while True:
				with self._uilock:  # The end is decided under the lock: an execute() from another thread either
					# came before (and its job keeps the loop going) or finds the loop gone
					if self._state != _LOOPING or not working():
						break
				if deadline is not None and time.perf_counter() >= deadline:
					self._leaveLoop(outer, outlooper)
					_warnmsg('WARNING{}, the execution pool is terminated on timeout'.format(_nameSuffix(self.name)))
					self._terminate('pool timeout')
					return False
				events = self._waitEvents(deadline)
				with self._step():
					self._act(events=events)
					if joining:
						self._finishDueTasks()
		except BaseException:  # KeyboardInterrupt, SystemExit from a signal handler or a callback: stop the jobs
			self._leaveLoop(outer, outlooper)
			if self._state != _STOPPING:
				self._terminate('pool termination')  # Deferred itself inside an outer step
			self._endWork(outer)
			raise
		self._leaveLoop(outer, outlooper)
		self._endWork(outer)
		return True

	def _leaveLoop(self, outer, outlooper):
		"""Transition: _LOOPING -> the state before the loop (a termination asked meanwhile stays pending)"""
		with self._uilock:
			if self._state == _LOOPING:
				self._state = outer
			self._looper = outlooper

	@contextlib.contextmanager
	def _step(self):
		"""A step of the pool's work: terminate(), called meanwhile from a callback or a signal handler, is
		deferred to its end, as the pool's state may be half-changed (steps nest: a callback may execute());
		so is a BaseException of a callback, raised again after the termination it causes"""
		self._uilock.acquire()  # Reentrant: steps nest; another thread's step ends first
		outer = self._state  # Transition: -> _WORKING, back to outer at the end (unless stopping)
		if outer in _ALIVE:
			self._state = _WORKING
		# The pool works in this thread (as _running(), inlined: a step runs per job, a context manager costs 3 us)
		caller = getattr(_CALLER, 'interrupted', None)
		_CALLER.interrupted = self._interrupted
		try:
			yield
		finally:
			_CALLER.interrupted = caller
			if self._state == _WORKING:
				self._state = outer
			self._endWork(outer)
			self._uilock.release()
		if outer not in (_WORKING, _STOPPING):
			self._raiseInterrupt()

	def _endWork(self, outer):
		"""A step or a loop begun in state outer ended: a termination deferred meanwhile (_STOPPING) runs now
		when it was the outermost work (in a loop's step, the loop's end runs it)"""
		if self._state == _STOPPING and outer not in (_WORKING, _STOPPING, _LOOPING):
			self._terminate(self._stopreason, deferred=True)

	@contextlib.contextmanager
	def _running(self):
		"""The pool works in this thread: a BaseException that its callbacks raise meanwhile (KeyboardInterrupt,
		SystemExit) terminates it as a signal would, every job completed, and is raised again when the
		pool's current work ends (applyCallback hands it to _CALLER.interrupted)"""
		caller = getattr(_CALLER, 'interrupted', None)
		_CALLER.interrupted = self._interrupted
		try:
			yield
		finally:
			_CALLER.interrupted = caller

	def _interrupted(self, err, callback, owner):
		"""A callback raised a BaseException: see _running()"""
		_warnmsg('WARNING, the {} callback of "{}" raised {!r}: the execution pool{} is terminated'.format(
			getattr(callback, '__name__', callback), owner, err, _nameSuffix(self.name)))
		if self._interrupt is None:
			self._interrupt = err
		self._terminate('pool termination')

	def _raiseInterrupt(self):
		"""Raise the BaseException a callback raised, once"""
		err, self._interrupt = self._interrupt, None
		if err is not None:
			raise err

	def _finishDueTasks(self):
		"""Finish the tasks whose items all finished (and their owners with them)

		Called where the caller has added its items: in join() (at its start and after each of its
		steps) and at termination. So an item ending while the caller still executes the next ones (a
		stub, a start failure, a job reaped in execute()) never finishes its task early; the callbacks
		run in join() may add items, before the end of the step in which the task's last item ended.
		"""
		while self._duetasks:
			due, self._duetasks = self._duetasks, []
			_finishTasks(due)

	def _waitEvents(self, limit=None):
		"""Wait for a job's exit, piped output or the nearest deadline (or limit); return the events for
		_onEvents() (the wait changes nothing: it needs no lock)

		limit: float  - perf_counter() to return at, at the latest; None: no limit of its own
		"""
		wakeat = self._deadlines[0][0] if self._deadlines else None
		if limit is not None and (wakeat is None or limit < wakeat):
			wakeat = limit
		wait = None if wakeat is None else min(max(0., wakeat - time.perf_counter()), _WAIT_MAX)
		if self._polled:
			wait = _POLL_PERIOD if wait is None else min(wait, _POLL_PERIOD)
		if self._webuiapp is not None:  # A snapshot is due every _UI_PERIOD, a held back one when the limit allows
			uiwait = max(0., self._uinext - time.perf_counter()) if self._uipending else _UI_PERIOD
			wait = uiwait if wait is None else min(wait, uiwait)
		if wait is None and not self._workers:
			return ()  # Nothing to wait for: no job runs and no deadline is set
		return self._sel.select(wait)

	def _actionable(self):
		"""Whether the loop has something to act on now: an event (a job's exit or output, a launcher's message,
		a wake-up), a due deadline or a job whose exit is polled (the events stay pending: epoll is level-triggered)"""
		return bool(self._polled or (self._deadlines and self._deadlines[0][0] <= time.perf_counter())
			or self._sel.select(0))

	def _onEvents(self, events):
		"""Act on the events of a wait: reap the exited jobs, drain their pipes"""
		for key, _ in events:
			kind, run = key.data
			# An event of this batch may belong to a run that an earlier event of the batch ended
			if kind == 'wake':
				_drainPipe(key.fd, [])
			elif kind == 'exit':
				if run.pidfd == key.fd:
					self._reap(run)
			elif kind == 'launcher':
				for ended in self._launcher.ready(key.fd):
					self._ended(ended, None, None)
			elif run.pipes is not None and key.fd in run.pipes:
				if not _drainPipe(key.fd, run.pipes[key.fd]):
					self._sel.unregister(key.fd)  # The end of the output; the pipe is closed with the job
		for run in list(self._polled):
			self._reap(run)

	def _schedule(self, when, action, run=None):
		"""Call action() at perf_counter() when, from the pool's loop; skipped if run (a _Run) ended by then"""
		if run is not None:
			if run.ended:
				return
			run.due += 1
		heapq.heappush(self._deadlines, (when, next(self._dseq), run, action))

	def _fireDeadlines(self):
		"""Act on the deadlines that are due (as sched.scheduler.run(): the earliest first, ties in order)"""
		now = time.perf_counter()
		while self._deadlines and self._deadlines[0][0] <= now:
			_, _, run, action = heapq.heappop(self._deadlines)
			if run is None:
				action()
			elif not run.ended:
				run.due -= 1  # Out of the heap: not void once the run ends
				action()
			else:
				self._void -= 1

	def _voidDeadlines(self, run):
		"""A run ended: its deadlines are void. They hold the run and its job (a timeout of an hour would keep
		a finished job that long), so the heap drops the void entries once they are half of it"""
		self._void += run.due
		run.due = 0
		if self._void * 2 > len(self._deadlines):
			self._deadlines = [entry for entry in self._deadlines if entry[2] is None or not entry[2].ended]
			heapq.heapify(self._deadlines)
			self._void = 0

	# --- Starting jobs ---------------------------------------------------------------------------------

	def _enqueue(self, job):
		"""Queue a job to start when a slot is free (and memory allows)"""
		self._jobs.append(job)

	def _startQueued(self):
		"""Start queued jobs while slots are free and memory allows"""
		while self._jobs and len(self._workers) < self._wkslim and self.alive:
			if not self._fits(self._jobs[0]):
				break
			self._start(self._jobs.popleft())

	def _fits(self, job):
		"""Whether a job may take the free slot now: its launcher's placement (else the pool's memory
		admission), and the descriptors"""
		room = self._launcher.room(job)
		return (self._memoryAllows(job) if room is None else room) and self._descriptorsAllow()

	def _start(self, job, concur=True):
		"""Start a job now: callbacks, output channels, the process pinned to its slot's CPUs

		return int  - 0 on success, -1 if onstart failed, the error number if the process did not start
		"""
		run = job._run = _Run(job, '{}{}.'.format(self._prefix, next(self._jobseq)))
		job.tstart = time.perf_counter()
		job.tstop = job.proc = job.pipedout = job.pipederr = job.reason = job.chtermtime = None
		job.terminates = 0
		job._restarting = False
		if job.task is not None:
			for task in job.task._start():
				if task.timeout:
					self._schedule(task.tstart + task.timeout, functools.partial(self._onTaskTimeout, task))
			task = job.task
			while task is not None and task not in self.tasks:
				self.tasks.add(task)
				task = task.task
		if job.onstart and not applyCallback(job.onstart, job.name):
			job.reason = 'onstart failure'
			self._complete(job, False)
			return -1
		if not job.args:  # A stub job: its callbacks are all it does
			self._complete(job, True)
			return 0
		opened = {}
		try:
			if self._launcher.remote:  # Opened where the job runs
				run.stdout, run.stderr = job.stdout, job.stderr
			else:
				run.stdout = _openChannel(job, job.stdout, opened)
				run.stderr = _openChannel(job, job.stderr, opened)
			if concur or len(self._workers) < self._wkslim:
				run.slot = self._takeSlot()
			proc = self._spawn(run)
		except Exception as err:  # OSError, or e.g. a TypeError of args changed since Job(): a start failure
			run.opened = list(opened.values())
			return self._failStart(job, err)
		run.opened = list(opened.values())
		job.wslot = run.slot
		self._workers.add(job)
		self._register(run, proc)
		if self._collectat is None:
			self._collect()  # The launcher may watch its running jobs (e.g. a cluster's ids and starts)
		self._watchMemory(job)
		if job.startdelay > 0:
			time.sleep(job.startdelay)
		return 0

	def _takeSlot(self):
		"""The lowest free worker slot, None when all are taken"""
		if self._freeslots:
			return heapq.heappop(self._freeslots)
		if self._nextslot < self._wkslim:
			self._nextslot += 1
			return self._nextslot - 1
		return None

	def _failStart(self, job, err):
		"""A job's process did not start: nothing of the attempt is kept (its slot, its files). When file
		descriptors ran out while other jobs run, the job waits for their end in the queue, else it
		completes as failed ('start failure').

		return int  - 0 when it waits, else the error number (-1 for an error without one)
		"""
		self._endRun(job._run)
		job.proc = None
		job.wslot = None
		code = getattr(err, 'errno', None)
		if code in _FD_ERRNOS and self._workers and self.alive:
			self._waitDescriptors(job, err)
			return 0
		_warnmsg('ERROR{}, the job "{}" failed to start: {}'.format(_nameSuffix(self.name), job.name, err))
		job.reason = getattr(err, 'reason', None) or 'start failure'  # A launcher's error may say why (no node left)
		self._complete(job, False)
		return code or -1

	def _waitDescriptors(self, job, err):
		"""Queue again (first) a job that did not start for lack of descriptors: from now on a job starts
		only while _FD_START descriptors are free, so fewer jobs run at once; said once"""
		self._fdshort = True
		if not self._fdwarned:
			self._fdwarned = True
			_warnmsg('WARNING{}, file descriptors ran out ({}; RLIMIT_NOFILE {}): jobs wait for free descriptors,'
				' {} of {} run at once for now'.format(_nameSuffix(self.name), err.strerror or err
				, resource.getrlimit(resource.RLIMIT_NOFILE)[0], len(self._workers), self._wkslim))
		self._jobs.appendleft(job)

	def _descriptorsAllow(self):
		"""Whether descriptors allow a start: always, unless they ran out while jobs still run"""
		if not self._fdshort:
			return True
		if not self._workers:  # None runs: none would free descriptors by waiting longer
			self._fdshort = False
			return True
		free = _freeDescriptors()
		return free is None or free >= _FD_START

	def _spawn(self, run):
		"""Create the run's process in a new session through the launcher, pinned to its slot's CPUs; return it"""
		job = run.job
		args = (job.args,) if isinstance(job.args, str) else job.args
		program = _findProgram(args[0], self._programs)
		kwargs = {'executable': program, 'cwd': job.workdir, 'stdin': subprocess.DEVNULL, 'stdout': run.stdout
			, 'stderr': run.stderr, 'env': _environ(), 'start_new_session': True}
		cpus = None
		if run.slot is not None and self._afnmask is not None and not job._omitafn and not self._launcher.remote:
			cpus = self._afnmask.cpus(run.slot)  # Remote jobs are pinned on their nodes
		try:
			sys.stdout.flush()  # Our messages first, then what the job writes to a shared console
		except Exception:  # A closed or replaced stdout does not stop the job
			pass
		run.tspawn = time.perf_counter()  # Before the spawn: the process may run before Popen returns
		return self._launcher.spawn(job, list(args), kwargs, cpus)

	def _wakeLoop(self):
		"""End the loop's current wait for events (from any thread or a signal handler)"""
		try:
			os.write(self._wakefds[1], b'\0')
		except BlockingIOError:  # The pipe is full of wake-ups already
			pass

	def _watchFd(self, fd, on=True):
		"""Watch (on) or stop watching a descriptor of the launcher: its events go to launcher.ready()"""
		if on:
			self._sel.register(fd, selectors.EVENT_READ, ('launcher', None))
		elif fd in self._sel.get_map():
			self._sel.unregister(fd)

	def _ownsDescriptor(self, fd):
		"""Whether fd is one of the pool's own: its event loop's, its wake-up pipe's, a job's pidfd or pipe"""
		fds = self._sel.get_map() if self._sel is not None else None  # None once the selector is closed
		return fds is not None and (fd in fds or fd in self._wakefds or fd == self._sel.fileno())

	def _register(self, run, proc):
		"""Watch a running job: its exit through a pidfd, its PIPE outputs, its timeout"""
		job = run.job
		job.proc = run.proc = proc
		if run.slot is not None and self._affinity is not None:
			self._affinity[run.slot] = proc.pid
		if self._launcher.remote:
			pass  # Its end comes through the launcher's descriptors
		elif _PIDFD:
			try:
				run.pidfd = os.pidfd_open(proc.pid)
				self._sel.register(run.pidfd, selectors.EVENT_READ, ('exit', run))
			except OSError as err:  # e.g. EMFILE: another thread took the last descriptor; it runs already
				if run.pidfd is not None:
					os.close(run.pidfd)
					run.pidfd = None
				_warnmsg('WARNING{}, the exit of "{}" #{} is polled: its pidfd failed ({})'.format(
					_nameSuffix(self.name), job.name, proc.pid, err))
		if run.pidfd is None and not self._launcher.remote:
			self._polled.add(run)
		pipes = [stream for stream in (proc.stdout, proc.stderr) if stream is not None]
		if pipes:
			run.pipes = {}
			for stream in pipes:
				fd = stream.fileno()
				os.set_blocking(fd, False)
				run.pipes[fd] = []
				self._sel.register(fd, selectors.EVENT_READ, ('pipe', run))
		if job.timeout:
			self._schedule(job.tstart + job.timeout, functools.partial(self._onJobTimeout, job), run)
		_infomsg('Starting "{}" #{}, workers: {} / {}{}'.format(job.name, proc.pid, len(self._workers)
			, self._wkslim, ', CPUs: {}'.format(self._afnmask(job.wslot)) if job.wslot is not None
			and self._afnmask is not None and not job._omitafn and not self._launcher.remote else ''))

	def _runSequential(self, job):
		"""Run a job to its end in the caller (the event loop goes on for the other jobs meanwhile)

		return int  - its exit code, or the _start() error code
		"""
		_infomsg('Starting "{}" in sequential mode'.format(job.name))
		with self._step():
			code = self._start(job, concur=False)
		if code:
			return code
		self._loop(lambda: job.tstop is None)
		if job.proc is None:
			return 0
		if job.proc.returncode:
			_jobmsg('WARNING, "{}" exited with errcode {}'.format(job.name, job.proc.returncode))
		return job.proc.returncode

	# --- Finishing jobs --------------------------------------------------------------------------------

	def _reap(self, run):
		"""Collect an exited run's process: its exit code and kernel accounting, what is left of its tree"""
		proc = run.proc
		try:
			wpid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
		except ChildProcessError:  # Reaped elsewhere (e.g. a SIGCHLD handler): no accounting to collect
			wpid, status, rusage = proc.pid, None, None
		if not wpid:
			return  # Still running
		self._polled.discard(run)
		self._ended(run, status, rusage)

	def _ended(self, run, status, rusage):
		"""A run's process exited (status, rusage: from os.wait4, None when unknown): its figures, its end"""
		proc, job = run.proc, run.job
		if status is None:
			proc.returncode = proc.returncode if proc.returncode is not None else -1
		else:
			proc.returncode = _exitcode(status)
		if run.ended:  # Abandoned by a termination (it outlived its SIGKILL) and completed then: just reaped
			self._unwatch(run)
			return
		job.wtime = time.perf_counter() - run.tspawn
		final = self._launcher.reaped(job, status, rusage)
		self._unwatch(run)
		job._closePipes()
		self._workers.discard(job)
		self._endRun(run)
		if final:
			self._finishRun(job)
		else:  # Its slot serves the next job at once; the job completes when its figures are there
			self._settling.add(job)
			if self._collectat is None:
				self._collect()

	def _unwatch(self, run, keepexit=False):
		"""Stop watching a run's process: its pidfd (unless keepexit) and pipes (drained) leave the selector"""
		if run.pidfd is not None and not keepexit:
			self._sel.unregister(run.pidfd)
			os.close(run.pidfd)
			run.pidfd = None
		for fd, chunks in (run.pipes or {}).items():
			if fd in self._sel.get_map():
				self._sel.unregister(fd)
			_drainPipe(fd, chunks)

	def _endRun(self, run):
		"""The run's process is gone (or abandoned): its deadlines are void, its slot and files are given back"""
		run.ended = True
		self._voidDeadlines(run)
		if run.slot is not None:
			heapq.heappush(self._freeslots, run.slot)
			if self._affinity is not None:
				self._affinity[run.slot] = None
			run.slot = None
		self._closeChannels(run)

	def _collect(self, due=None):
		"""Finish the runs whose figures the launcher has now; arm the next collection

		due: float  - the perf_counter() it was armed for: a collection superseded meanwhile does nothing
		"""
		if due is not None and due != self._collectat:
			return
		self._collectat = None
		done, nextat = self._launcher.collect()
		for job in done:
			self._settling.discard(job)
			if not job.terminates and job.reason == 'memory limit':  # Limits the cluster enforced itself
				self._chainMemory(job, job.memlim or self.memlimit)
			elif not job.terminates and job.reason == 'timeout':
				self._chainTimeout(job)
			self._finishRun(job)
		if nextat is not None:
			self._collectat = nextat
			self._schedule(nextat, functools.partial(self._collect, nextat))

	def _finishRun(self, job):
		"""Decide what follows a run: a restart (timeout with rsrtonto), a postponement, or the end"""
		self._noteDemand(job)
		if job.reason == 'memory limit' and not job.terminates:  # Stopped at its memlim by the kernel (the launcher's)
			job.mem = max(job.mem, job.memlim)
			self._chain(job, 'memory limit chain', lambda other: _heavierMem(other, job) and self._limitApplies(other, job.memlim))
		if (job.terminates or job.reason == 'memory limit') and job.reason in ('timeout', 'memory limit', 'group memory limit'):
			_jobmsg('WARNING, "{}" #{} is terminated because of the {} violation: {}; it ran {}'.format(
				job.name, job.proc.pid, job.reason, self._brokenLimit(job), _durationText(job.wtime)))
		if self.alive and job.reason == 'timeout' and job.rsrtonto:
			self._start(job)  # Restarted at once, as the original: not a failure
			return
		if self.alive and job._restarting:
			self._postpone(job)
			return
		self._complete(job)

	def _brokenLimit(self, job):
		"""The limit a stopped job broke and its value, and its memory when measured, in words"""
		if job.reason == 'timeout':
			return 'its timeout is {}'.format(_durationText(job.timeout))
		used = _measuredMem(job, job.mem)
		used = ', it used {:.3g} GB'.format(used) if used is not None else ''
		if job.reason == 'group memory limit':
			return "the running jobs together exceed the pool's memlimit {:.3g} GB{}".format(self.memlimit, used)
		if job.memlim and not (self.memlimit and self.memlimit < job.memlim):  # The tightest limit applies
			return 'its memlim is {:.3g} GB{}'.format(job.memlim, used)
		return "the pool's memlimit is {:.3g} GB{}".format(self.memlimit, used)

	def _complete(self, job, graceful=None):
		"""Finish a job for good: its callbacks, the pool's counters, its task's (the task finishes later:
		_finishDueTasks)"""
		if graceful is None:
			graceful = job.terminates == 0 and job.reason is None and (job.proc is None or job.proc.returncode == 0)
		try:
			job._conclude(graceful)
		except Exception as err:  # A defect in completing one job does not stop the others
			_warnmsg('ERROR, the completion of "{}" failed: {}.'.format(job.name, err), details=traceback.format_exc(5))
			if job.tstop is None:
				job.tstop = time.perf_counter()
			job._removeEmptyOutputs()  # Its output paths are released all the same
		if job._run is not None:
			self._closeChannels(job._run)
			job._run = None  # Its run ends here (the job keeps its proc and figures): no cycle with it is left
		info = JobInfo(job, columns=self._launcher.columns)
		if graceful:
			self.jobsdone += 1
		else:
			self.failures.append(info)
		self._history.append(info)
		job._inpool = None
		if job.task is not None and job.task._account(job, graceful):
			self._duetasks.append(job.task)

	@staticmethod
	def _closeChannels(run):
		"""Close the output files the pool opened for a run (never the user's own file objects)"""
		for fout in run.opened:
			try:
				fout.close()
			except OSError as err:  # e.g. the disk became full: the job's outputs are incomplete
				_warnmsg('WARNING, the output of "{}" could not be closed: {}'.format(run.job.name, err))
		run.opened = []
		run.stdout = run.stderr = None

	# --- Stopping jobs ---------------------------------------------------------------------------------

	def _stopJob(self, job, reason):
		"""Ask a running job's process tree to terminate: one SIGTERM, the SIGKILL after killgrace"""
		if job.reason is None:
			job.reason = reason
		if job.terminates:
			return  # Already being stopped
		self._requestStop((job,))

	def _requestStop(self, jobs):
		"""Send the running jobs' processes one SIGTERM each; the SIGKILL follows killgrace seconds later"""
		for job in jobs:
			job.terminates = 1
		self._signalJobs(jobs, signal.SIGTERM)
		killat = time.perf_counter() + self.killgrace
		for job in jobs:
			self._schedule(killat, functools.partial(self._escalate, job), job._run)

	def _escalate(self, job):
		"""Kill a job whose processes are still running killgrace seconds after its SIGTERM"""
		job.terminates += 1
		if _DEBUG_TRACE:
			_eventmsg('  Killing "{}" #{} ...'.format(job.name, job.proc.pid))
		self._signalJobs((job,), signal.SIGKILL)

	def _signalJobs(self, jobs, sig):
		"""Signal the whole process trees of running jobs (through their launcher)"""
		self._launcher.signal(jobs, sig)

	def _onJobTimeout(self, job):
		"""A job ran past its timeout: stop it, and the heavier jobs of its category"""
		if job.terminates:
			return
		since = self._launcher.runsince(job)
		if since is None or since + job.timeout > time.perf_counter() + 1e-3:
			# It waited for resources (a cluster's queue): its timeout counts from its start
			self._schedule(since + job.timeout if since is not None else time.perf_counter() + 1
				, functools.partial(self._onJobTimeout, job), job._run)
			return
		self._stopJob(job, 'timeout')
		self._chainTimeout(job)

	def _chainTimeout(self, job):
		"""The timeout chain of a job that ran past its timeout (unless it is restarted)"""
		if not job.rsrtonto:
			self._chain(job, 'timeout chain', lambda other: other.size * other.slowdown >= job.size * job.slowdown)

	def _chainMemory(self, job, limit):
		"""The memory limit chain of a job that broke a memory limit (GB): its heavier relatives to which
		that limit applies"""
		self._chain(job, 'memory limit chain', lambda other: _heavierMem(other, job) and self._limitApplies(other, limit))

	def _chain(self, origin, reason, heavier):
		"""Chained constraints: stop the running and cancel the queued jobs of origin's category that are
		heavier (a predicate) than origin, which violated a constraint

		reason: str  - 'timeout chain' or 'memory limit chain'
		"""
		if not (_CHAINED_CONSTRAINTS and origin.category is not None and origin.size):
			return
		chtermtime = reason == 'timeout chain'

		def related(job):
			return job is not origin and job.category == origin.category and job.size and heavier(job)

		for job in [job for job in self._workers if related(job) and not job.terminates]:
			job.chtermtime = chtermtime
			_jobmsg('WARNING, "{}" is terminated by {} from "{}"'.format(job.name, reason, origin.name))
			self._stopJob(job, reason)
		self._cancelQueued(related, reason, 'WARNING, "{{}}" is canceled by {} from "{}"'.format(reason, origin.name)
			, chtermtime=chtermtime, say=_jobmsg)

	def _cancelQueued(self, match, reason, message, chtermtime=None, say=_warnmsg):
		"""Complete the queued jobs that match a predicate as failed (callbacks run, tasks notified)

		message: str  - format of the warning, '{}' takes the job's name; say: how it is said
		"""
		if not self._jobs:
			return
		canceled = [job for job in self._jobs if match(job)]
		if not canceled:
			return
		kept = [job for job in self._jobs if not match(job)] if len(canceled) < len(self._jobs) else ()
		self._jobs.clear()
		self._jobs.extend(kept)
		for job in canceled:
			say(message.format(job.name))
			job.reason = reason
			job.chtermtime = chtermtime
			self._complete(job, False)

	def _onTaskTimeout(self, task):
		"""A task ran past its timeout: stop its running jobs and cancel its queued ones (also of subtasks)"""
		if task.tstop is not None or not self.alive:
			return
		_warnmsg('WARNING, the task "{}" is terminated because of the timeout violation ({} s)'.format(task.name, task.timeout))

		def owned(job):
			owner = job.task
			while owner is not None and owner is not task:
				owner = owner.task
			return owner is task

		for job in [job for job in self._workers if owned(job)]:
			self._stopJob(job, 'task timeout')
		self._cancelQueued(owned, 'task timeout', '  Scheduled non-started "{{}}" of the task "{}" is canceled'.format(task.name))

	def _terminate(self, reason, deferred=False):
		"""Terminate the pool: cancel the queued jobs, stop the running ones and wait for them

		deferred: the work that deferred this termination (_STOPPING) ended: terminate now
		"""
		with self._uilock:  # The Web UI's thread takes no snapshot of a half-terminated pool
			self._terminateLocked(reason, deferred)

	def _terminateLocked(self, reason, deferred):
		"""_terminate() holding _uilock"""
		state = self._state
		if state in (_WORKING, _LOOPING) or (state == _STOPPING and not deferred):
			# Transition: -> _STOPPING, terminated at the end of the step or of the loop (here, or in the
			# thread that joins)
			if state != _STOPPING:
				self._state, self._stopreason = _STOPPING, reason
			self._wakeLoop()  # A signal handler may have interrupted the wait for events: end it
			return
		if state == _TERMINATING or getattr(self, '_sel', None) is None:
			return
		self._stopreason = None
		if not self._jobs and not self._workers and not self._settling:
			self._state = _TERMINATED
			self._tstart = None
			self._launcher.idle()
			with self._running():
				self._finishDueTasks()
			self._publishUi(True)  # The Web UI shows the terminated state of an idle pool too
			self._raiseInterrupt()
			return
		self._state = _TERMINATING
		try:
			with self._running():
				self._stopAll(reason)
		finally:
			self._state = _TERMINATED
			self._tstart = None
		self._publishUi(True)
		self._raiseInterrupt()

	def _stopAll(self, reason):
		"""The work of a termination: cancel the queued jobs, stop the running ones, complete them all"""
		_eventmsg('WARNING{}, terminating the execution pool with {} non-started jobs and {} workers{}'.format(
			_nameSuffix(self.name), len(self._jobs), len(self._workers)
			, ' after {}'.format(_durationText(time.perf_counter() - self._tstart))
				if self._tstart is not None else ''), stack=True)
		self._cancelQueued(lambda job: True, reason, '  Scheduled non-started "{}" is removed', say=_eventmsg)
		running = [job for job in self._workers if not job.terminates]  # The others are being stopped
		for job in running:
			_eventmsg('  Terminating "{}" #{} ...'.format(job.name, job.proc.pid))
			job.reason = job.reason or reason
		if running:
			self._requestStop(running)
		# Wait for them; a process that even SIGKILL does not end in time (e.g. stuck in the kernel) is
		# completed as failed without its exit code rather than blocking the caller forever
		giveup = time.perf_counter() + self.killgrace + 2
		while (self._workers or self._settling) and time.perf_counter() < giveup:
			self._onEvents(self._waitEvents(giveup))
			self._fireDeadlines()
		# The launcher's last word on the jobs left is said before they complete (and their runs are dropped)
		self._launcher.sweep()
		for job in list(self._workers):
			# Its run ends here, once: its process stays watched only to be reaped (a zombie) when it exits
			_warnmsg('ERROR, "{}" #{} did not exit on SIGKILL; it is abandoned'.format(job.name, job.proc.pid))
			self._workers.discard(job)
			self._unwatch(job._run, keepexit=True)
			self._endRun(job._run)
			self._complete(job, False)
		for job in list(self._settling):  # Exited; their figures did not come in time
			self._settling.discard(job)
			self._complete(job)
		self._collectat = None
		self._launcher.idle()
		self._finishDueTasks()
		self._traceFailures()

	# --- Memory (sampling, limits, balancing) ---------------------------------------------------------------
	# Sampling runs as the 'memory' deadline every _memperiod seconds while a watched job runs (pool
	# memlimit, or a job's memlim). A sample updates every watched job's estimate in one pass over /proc,
	# stops the jobs over their own limit (and their heavier relatives: the memory chain), then, when the
	# jobs together exceed memlimit or free RAM is low, postpones the heaviest jobs, their memory weighed
	# by age (at least one job keeps running). The start gate counts the demand expected of the jobs
	# still starting up (see _MEM_SETTLE), and a job of unknown demand waits until the first of its kind
	# (_memKind) has shown its demand, so a burst of execute() calls can not overshoot memlimit; a
	# postponed job waits until its kind's demand fits, not only what it held when it was stopped.

	def _initMemory(self, memlimit, latency, reserves=False):
		"""Set memlimit (clamped to _RAM_LIMIT; 0 without psutil unless the launcher reserves the jobs'
		memory), latency and the sampling state"""
		self._memwarned = False  # The pool said that memory constraints are off (psutil missing)
		if reserves:
			pass  # Admission by the jobs' reservations (a cluster's memory, not this machine's RAM)
		elif memlimit and not _LIMIT_WORKERS_RAM:
			self._warnNoMemory()
			memlimit = 0.
		elif memlimit > _RAM_LIMIT:
			_warnmsg('WARNING{}, memlimit {:.6f} GB is reduced to the RAM limit {:.6f} GB'.format(
				_nameSuffix(self.name), memlimit, _RAM_LIMIT))
			memlimit = _RAM_LIMIT
		self.memlimit = memlimit  # GB the running jobs may use together, 0: no limit
		self.latency = latency or _MEM_PERIOD  # Seconds between memory samples (the base when automatic)
		self._memauto = not latency  # The period adapts to the cost of sampling
		self._memperiod = self.latency  # Seconds between memory samples now
		self._memcost = 0.  # CPU seconds of a sampling pass, smoothed
		self._memdue = None  # perf_counter() of the armed 'memory' deadline
		self._memfree = None  # GB of available RAM at the last reading, less what was started since
		self._memfreeat = 0.  # perf_counter() of that reading
		self._kindmem = {}  # _memKind -> [GB, GB per unit of size]: the demand its jobs showed
		self._memavg = 0.  # GB: smoothed peak demand of the finished jobs
		self._uimemat = 0.  # perf_counter() of the last sample (of the loop or for the Web UI)

	def _warnNoMemory(self):
		"""Say once per pool that memory constraints are off"""
		if not self._memwarned:
			self._memwarned = True
			_warnmsg('WARNING{}, memory constraints are disabled: psutil is not available'.format(_nameSuffix(self.name)))

	def _checkMemory(self, job):
		"""Validate the memory constraints of a job given to execute()"""
		if job.memlim and not _LIMIT_WORKERS_RAM and not self._launcher.kernelMemlim:
			self._warnNoMemory()
		if self.memlimit and job.memlim > self.memlimit:
			raise ValueError('memlim of the job "{}" must not exceed the pool memlimit {} GB, not {!r}'.format(
				job.name, self.memlimit, job.memlim))

	def _memlimited(self):
		"""Whether the pool balances its workers by memory"""
		return bool(self.memlimit) and (_LIMIT_WORKERS_RAM or self._launcher.reserves)

	def _armMemory(self, when):
		"""Schedule a memory sample at perf_counter() when, unless one is due earlier"""
		# A due time long past means its deadline was lost (never fired): arm anew rather than wait forever
		if self._memdue is None or when < self._memdue - 1e-3 or self._memdue < time.perf_counter() - 2 * self._memperiod:
			self._memdue = when
			self._schedule(when, self._reviseMemory)

	def _availMemory(self):
		"""GB of available RAM, read again when the last reading is older than a sampling period"""
		now = time.perf_counter()
		if self._memfree is None or now - self._memfreeat > self._memperiod:
			self._memfree = _freeMemory()
			self._memfreeat = now
		return self._memfree

	def _jobDemand(self, job):
		"""GB a job is expected to use, and whether that is known rather than guessed

		Known: the larger of its own estimate (an earlier run, cut short: a lower bound) and its kind's
		record (scaled by size), else its memlim (declared: it is stopped there), each capped by its
		memlim. Guessed: the running jobs' average, else the finished jobs' average (0: nothing is known).
		"""
		rec = self._kindmem.get(_memKind(job))
		mem = max(job.mem, rec[1] * job.size if rec[1] and job.size else rec[0]) if rec else job.mem
		if mem or job.memlim:
			return (min(mem, job.memlim) if mem and job.memlim else mem or job.memlim), True
		total = 0.
		known = 0
		for other in self._workers:
			if other is job or other.terminates:
				continue
			mem = max(other.mem, other._memest) if other._memfresh else other.mem
			if mem:
				total += mem
				known += 1
		return (total / known if known else self._memavg), False

	def _noteKind(self, job, mem, smooth):
		"""Fold a job's demand into its kind's record (the max, or smoothed like Job.mem)"""
		kind = _memKind(job)
		rec = self._kindmem.get(kind)
		if rec is None:
			rec = self._kindmem[kind] = [0., 0.]
		for i, cur in ((0, mem), (1, mem / job.size if job.size else 0.)):
			rec[i] = max(cur, rec[i] * Job._RTM + cur * (1 - Job._RTM)) if smooth else max(cur, rec[i])

	def _watchMemory(self, job):
		"""A job took a slot (its process exists or is being created): count its expected demand until
		its samples show it, arm the sampling"""
		if self._launcher.reserved(job) is not None:
			return  # Not sampled: the cluster holds the job to its reservation
		if not (_LIMIT_WORKERS_RAM and (self.memlimit or job.memlim)):
			if _LIMIT_WORKERS_RAM and self._webuiapp is not None:  # Sampled for display only
				self._armMemory(time.perf_counter() + _UI_PERIOD)
			return
		job._memfresh = True
		job._memlast = job._memticks = None
		job._memstill = 0
		if self.memlimit:
			job._memest = self._jobDemand(job)[0]
			if self._memfree is not None:
				self._memfree -= job._memest
		self._armMemory(time.perf_counter() + self._memperiod)

	def _noteDemand(self, job):
		"""A job's run ended: remember the demand it showed (sampled peak, or the kernel's peak RSS)

		A run stopped to be postponed shows only what it held so far: its kind's record takes it as a
		lower bound (the max), never smoothed down by it, so that its restart waits until that fits.
		"""
		job._memfresh = False
		if not _LIMIT_WORKERS_RAM:
			return
		peak = max(job.mempeak, job.rssmax or 0.)
		if not peak:
			return
		self._memavg = peak if not self._memavg else self._memavg * Job._RTM + peak * (1 - Job._RTM)
		self._noteKind(job, peak, not job._restarting)

	def _settled(self, job, cur):
		"""Whether a sample (GB) of a job starting up shows its demand: its memory stopped growing while
		its process could run (used CPU time since the previous sample, or sleeps rather than waits
		for a CPU or the disk); also keeps the sample for the next comparison"""
		prev, ticks = job._memlast, job._memticks
		progress = _procProgress(job.proc.pid) if _procfsWorks() else None
		job._memlast = cur
		job._memticks = progress[1] if progress else None
		if prev is None or cur > prev * (1 + _MEM_SETTLE) + _MEM_SETTLE_GB:
			job._memstill = 0
			return False
		job._memstill += 1
		return (progress is None or ticks is None or progress[1] > ticks or progress[0] not in ('R', 'D')
			or job._memstill >= _MEM_SETTLE_MAX)

	def _memoryAllows(self, job):
		"""Whether starting job now keeps the running jobs within memlimit (and free RAM above _MEMLOW)

		A running job counts its sampled estimate, and while starting up at least the demand expected
		at its start. Nobody starts while a job of unknown demand starts up, nor a job of unknown demand
		while one of its kind starts up: their samples are awaited. With no other job running, any job
		starts.
		"""
		if not self._memlimited():
			return True
		reserved = self._launcher.reserved(job)
		if reserved is not None:  # The cluster holds each job to its reservation: admit by their sum
			return sum(self._launcher.reserved(other) for other in self._workers) + reserved <= self.memlimit + 1e-9
		demand, known = self._jobDemand(job)
		kind = None if known else _memKind(job)
		used = 0.
		active = False
		for other in self._workers:
			if other.terminates:
				continue
			active = True
			mem = other.mem
			if other._memfresh:
				if not other._memest or (kind is not None and _memKind(other) == kind):
					return False  # The next samples tell; the sampling is armed while jobs run
				mem = max(mem, other._memest)
			used += mem
		if not active:
			return True
		jmemx = demand * self._JMEMTRR
		if job.memlim:
			jmemx = min(jmemx, job.memlim)  # A job never holds more than its memlim
		return used + jmemx < self.memlimit and self._availMemory() - jmemx > self._MEMLOW

	def _breaksLimit(self, job):
		"""The limit a job breaks now: the tightest that applies to it (its memlim when set and below
		memlimit, else memlimit) when its estimate reached it, else 0"""
		limit = job.memlim if job.memlim and (not self.memlimit or job.memlim < self.memlimit) else self.memlimit
		killed = self._launcher.memoryKilled(job) if job.memlim and job.proc is not None else None
		if killed:  # The kernel enforces its memlim (a cgroup) and killed a process on it: it reached it
			job.mem = max(job.mem, job.memlim)
			return job.memlim
		if killed is not None:  # The kernel holds it within memlim: only memlimit is sampled
			limit = self.memlimit
		return limit if limit and job.mem >= limit else 0.

	def _reviseMemory(self):
		"""Sample the memory of the running jobs and enforce the limits (the 'memory' deadline)"""
		now = time.perf_counter()
		if self._memdue is not None and now < self._memdue - 1e-3:
			return  # A later deadline superseded by an earlier sample
		self._memdue = None
		if not _LIMIT_WORKERS_RAM or not self._workers:
			return
		cpu0 = time.thread_time()
		memlimit = self.memlimit
		shown = self._webuiapp is not None  # The Web UI shows the memory of every running job, measured
		# A job whose process a spawner thread is still creating has no process to sample yet
		watched = [job for job in self._workers if not job.terminates and job.proc is not None
			and (memlimit or job.memlim or shown)]
		if watched:
			for job, cur in self._sample(watched):
				if job._memfresh and self._settled(job, cur):
					job._memfresh = False
				if not job._memfresh and memlimit:
					self._noteKind(job, job.mem, False)
		memfree = self._memfree = _freeMemory()
		self._memfreeat = now
		cost = time.thread_time() - cpu0
		self._memcost = cost if not self._memcost else self._memcost * 0.7 + cost * 0.3
		if self._memauto:
			self._memperiod = min(_MEM_PERIOD_MAX, max(_MEM_PERIOD, self._memcost / _MEM_SHARE))
		# Own limits: every job that breaks a limit by itself in this sample is an origin, stopped before
		# any chain, so a chain never takes an origin for a chained job
		origins = [(job, limit) for job, limit in ((job, self._breaksLimit(job)) for job in watched) if limit]
		for job, _ in origins:
			self._stopJob(job, 'memory limit')
		for job, limit in origins:
			self._chainMemory(job, limit)
		active = [job for job in self._workers if not job.terminates]
		memall = sum(job.mem for job in active)
		if memlimit and len(active) > 1 and (memall >= memlimit or memfree <= self._MEMLOW):
			self._postponeHeavy(active, memall)
		self._memtrace.append((now, memall, memfree))
		self._uimemat = now
		if any(memlimit or job.memlim for job in active):
			self._armMemory(now + self._memperiod)
		elif active and shown:  # For display only: at the Web UI's period
			self._armMemory(now + _UI_PERIOD)

	def _sample(self, jobs):
		"""Fold one sample of the jobs' process trees into their estimates; return [(job, GB sampled)]"""
		samples = list(zip(jobs, _treesMemory([(job.proc.pid, job.memkind) for job in jobs])))
		for job, cur in samples:
			job._noteMem(cur)
		return samples

	def _sampleShown(self):
		"""Sample the running jobs' memory for the Web UI while no loop runs the 'memory' deadline (the
		caller does other work between execute() and join()), at most every _UI_PERIOD seconds; return
		whether it did. Only the estimates change: the loop enforces the limits at its next sample."""
		now = time.perf_counter()
		if not _LIMIT_WORKERS_RAM or now - self._uimemat < _UI_PERIOD:
			return False
		# A job that the cluster holds to its reservation is not sampled (its local process is a client)
		active = [job for job in self._workers if not job.terminates and job.proc is not None
			and self._launcher.reserved(job) is None]
		if not active:
			return False
		self._uimemat = now
		self._sample(active)
		self._memtrace.append((now, sum(job.mem for job in active), _freeMemory()))
		return True

	def _limitApplies(self, job, limit):
		"""Whether a limit broken by a relative applies to job: memlimit applies to every job, a memlim
		only to the jobs whose own memlim is not larger"""
		return limit == self.memlimit or 0 < job.memlim <= limit

	def _postponeHeavy(self, active, memall):
		"""Stop the heaviest running jobs, their memory weighed by age, to be run again later

		The original's choice: a job's memory counts more the later it started (up to _JMEMLIMH times when
		much younger than the median running job, down to _JMEMLIML times when much older: the square root
		of the ratio of their ages), so that a heavy job goes first and the lighter ones finish beside fewer
		neighbours, and among jobs of similar memory the most recently started go (the least work lost).
		Jobs go in that order until the others fit in memlimit (when free RAM is low: until the original's
		margin is freed); the lightest by that weight keeps running, and a job that holds nothing frees
		nothing and is left running.
		"""
		n = len(active)
		memlimit = self.memlimit
		memov = memall - memlimit if memall >= memlimit else self._MEMLOW + memlimit / (n + 1)
		now = time.perf_counter()
		ages = sorted(max(now - job.tstart, 1e-3) for job in active)
		agemid = (ages[(n - 1) // 2] + ages[n // 2]) / 2

		def weight(job):
			ratio = math.sqrt(agemid / max(now - job.tstart, 1e-3))
			return job.mem * min(self._JMEMLIMH, max(self._JMEMLIML, ratio))

		victims = []
		for job in sorted(active, key=lambda job: (weight(job), job.tstart), reverse=True)[:-1]:
			if memov < 0:
				break
			if job.mem > 0:
				victims.append(job)
				memov -= job.mem
		if not victims:
			return
		wkslim = max(1, self._wkslim - len(victims))
		for job in victims:
			job._restarting = True
			job.wkslim = wkslim
			self._stopJob(job, 'group memory limit')

	def _postpone(self, job):
		"""Queue again a job stopped to free memory: behind the fresh jobs, its heavier relatives behind it

		It goes to the front of its wkslim group when memory is no longer tight, else to its end.
		"""
		memlimit = self.memlimit
		if self._breaksLimit(job):  # It can never fit: fail it once rather than retry it forever
			job._restarting = False
			job.reason = 'memory limit'
			self._complete(job, False)
			return
		tight = False
		if memlimit:
			active = [other for other in self._workers if not other.terminates]
			if active:
				jmemx = job.mem * self._JMEMTRR
				tight = (sum(other.mem for other in active) + jmemx >= memlimit
					or self._availMemory() - jmemx <= self._MEMLOW)
		self._jobs.append(job, priority=not tight)
		if _CHAINED_CONSTRAINTS:
			self._jobs.sink(job)

	# --- Reports ---------------------------------------------------------------------------------------

	def _publishUi(self, force=False):
		"""Hand a snapshot to the Web UI, at most every _UI_PERIOD seconds unless forced"""
		if self._webuiapp is None:
			return
		now = time.perf_counter()
		if not force and now < self._uinext:
			self._uipending = True  # Published by the loop, or by _uiRefresh(), when the limit allows
			return
		self._uipending = False
		try:
			self._webuiapp.publish(self, uiSnapshot(self))
		except Exception as err:  # The Web UI is a view: its failure never stops the jobs
			if not self._uifailed:
				_warnmsg('ERROR{}, the Web UI snapshot failed: {}.'.format(_nameSuffix(self.name), err)
					, details=traceback.format_exc(5))
			self._uifailed = True
		# A costly snapshot (a huge queue) is taken less often: at most ~5% of the pool's time
		self._uinext = now + max(_UI_PERIOD, 20 * (time.perf_counter() - now))

	def _uiRefresh(self):
		"""Publish the state that the rate limit held back, called by the Web UI's thread for a request

		Between execute() and join() nobody else would: the caller does other work. Nor would anybody
		sample the running jobs' memory: that is done here too (_sampleShown). Done only while the pool is
		outside its loop (join() publishes itself) and under _uilock, which each step of the pool holds,
		so a snapshot is never taken inside a step; a step that runs meanwhile publishes at its end.
		"""
		if not (self._uipending or self._workers) or self._state not in _IDLE or not self._uilock.acquire(
		blocking=False):
			return
		try:
			if self._state in _IDLE and (self._sampleShown() or self._uipending):
				self._publishUi()
		finally:
			self._uilock.release()

	def _traceFailures(self):
		"""Print the failures since the last report: jobs without tasks, then the failed task hierarchies"""
		failures = self.failures[self._reported:]
		self._reported = len(self.failures)
		if not failures:
			return
		# errtail is shown under its job's row; the launcher's columns only where some failed job has them
		props = [prop for prop in failures[-1].props() if prop != 'errtail' and (prop not in self._launcher.columns
			or any(getattr(info, prop, None) is not None for info in failures))]
		lines = ['WARNING, {} jobs are failed in the ExecPool{}'.format(len(failures), _nameSuffix(self.name))]
		taskless = [info for info in failures if info.task is None]
		if taskless:
			lines.append('\nFAILED jobs not assigned to any tasks:')
			lines.append(' '.join(tblfmt(prop, 9) for prop in props))
			for info in taskless:
				lines.extend(' '.join(tblfmt(v, 9) for v in row) for row in _reportRows(info, props))
		_infomsg('\n'.join(lines))
		bottom = {}
		for info in failures:
			if info.task is not None:
				tie = bottom.get(info.task)
				if tie is None:
					tie = bottom[info.task] = TaskInfoExt(_taskprops(info.task), [tuple(props)])
				tie.jobs.extend(_reportRows(info, props))
		if not bottom:
			return
		hierarchy = tasksInfoExt(bottom)
		for task, tie in hierarchy.items():
			tinf = TaskInfo(task)
			tie.props = (tie.props[0], _reportValues(tinf, tie.props[0]))
		roots = [task for task in hierarchy if task.task is None]
		_infomsg('\nFAILED root tasks ({} failed root / {} failed total / {} total):\n{}'.format(
			len(roots), len(hierarchy), len(self.tasks), ' '.join(task.name for task in roots)))
		_infomsg('\nFAILED tasks with their jobs:')
		for task in roots:
			printDepthFirst(hierarchy[task])


def _reportValues(info, props):
	"""The values of a job or task (JobInfo, TaskInfo) in the failure report: start and stop as local
	wall-clock times (HH:MM:SS.sss; the attributes are perf_counter readings)"""
	row = list(infodata(info, props))
	for prop in ('tstart', 'tstop'):
		tperf = getattr(info, prop)
		if prop in props and tperf is not None:
			twall = wallclock(tperf)
			row[props.index(prop)] = time.strftime('%H:%M:%S', time.localtime(twall)) + '.{:03d}'.format(
				int(twall % 1 * 1000))
	return tuple(row)


def _reportRows(info, props):
	"""The rows of a failed job in the failure report: its values, then the last lines of its PIPE stderr"""
	return [_reportValues(info, props)] + [('  stderr| ' + line,) for line in (info.errtail.split('\n')
		if info.errtail else ())]


def _nameSuffix(name):
	"""' <name>' for the messages of a named pool"""
	return ' ' + name if name else ''


# === Web UI snapshots ==================================================================================
# What the pool publishes for mpewui
# The pool calls uiSnapshot(self) in its own thread at most every _UI_PERIOD s and hands the result to
# WebUiApp.publish(); the HTTP threads only read snapshots. A snapshot copies what the UI shows, in a few
# cheap passes (about 1 ms per 1,000 queued jobs); JobInfo records of finished jobs are immutable and
# shared, and all the formatting and filtering happens in the HTTP thread.

# Queued jobs copied into a snapshot (the UI lists at most lim of them); the queue length is always exact
_UI_QUEUE_MAX = 10000

class UiJob(collections.namedtuple('UiJob', 'name task category size timeout pid tstart mem mempeak memkind wslot'
	' results', defaults=(None,))):
	"""A running or queued job in a UI snapshot (task: the owner Task object; times: perf_counter; memory: GB;
	results: dict of the launcher's columns, also read as attributes)"""
	__slots__ = ()

	def __getattr__(self, name):
		results = self.results
		if results and name in results:
			return results[name]
		raise AttributeError("'UiJob' object has no attribute {!r}".format(name))

UiTask = collections.namedtuple('UiTask', 'name task tstart tstop numadded numdone numterm')
"""A task in a UI snapshot (task: the owner Task object)"""

UiSnapshot = collections.namedtuple('UiSnapshot', 'name alive wkslim memlimit tstart tend tsnap clock0 jobsdone'
	' running queued queuelen failures history tasks taskreg memtrace memjobs memmeasured columns')
"""The state of a pool published for the Web UI (all tuples and dicts owned by the snapshot):
name, alive, wkslim, memlimit (GB)  - the pool's settings and state
tstart, tend, tsnap  - perf_counter: the pool's _tstart, the snapshot time when the pool is idle (else
	None), the snapshot time
clock0  - wallclock(0.): adds to a perf_counter stamp to give an epoch time
jobsdone  - successfully completed jobs
running, queued  - tuples of UiJob; queued holds the first _UI_QUEUE_MAX of queuelen queued jobs
failures, history  - tuples of JobInfo (failed jobs; finished jobs, newest last)
tasks  - dict Task -> UiTask of the registered tasks, the tasks of running and queued jobs and their owners
taskreg  - tuple of the pool's registered tasks
memtrace  - tuple of the pool's (perf_counter, jobs_mem_GB, free_ram_GB) samples
memjobs  - current memory of the running jobs, GB; None when none of them is measured yet
memmeasured  - whether the pool measures memory (psutil): else every memory figure is None
columns  - the result attributes of its launcher (Launcher.columns): UiJob and JobInfo have them
Memory figures of jobs (UiJob.mem, mempeak) are None where not measured (no sample yet), never a false 0.
"""


def _uiTaskInfo(task):
	"""The UiTask of a Task"""
	return UiTask(task.name, task.task, task.tstart, task.tstop, task.numadded, task.numdone, task.numterm)


def uiSnapshot(pool):
	"""An immutable snapshot of pool for the Web UI (see UiSnapshot); cheap enough for a few calls per second"""
	tsnap = time.perf_counter()
	columns = pool._launcher.columns
	running = tuple(UiJob(j.name, j.task, j.category, j.size, j.timeout, getattr(j.proc, 'pid', None)
		, j.tstart, _measuredMem(j, j.mem), _measuredMem(j, j.mempeak), j.memkind, getattr(j, 'wslot', None)
		, {col: getattr(j, col, None) for col in columns} if columns else None)
		for j in tuple(pool._workers))
	jobs = pool._jobs
	queuelen = len(jobs)
	qjobs = tuple(itertools.islice(jobs, _UI_QUEUE_MAX)) if queuelen > _UI_QUEUE_MAX else tuple(jobs)
	queued = tuple([UiJob(j.name, j.task, j.category, j.size, j.timeout, None, None, j.mem or None, None
		, j.memkind, None) for j in qjobs])  # A queued job's memory is its expected demand, if known
	taskreg = tuple(pool.tasks)
	tasks = {}
	pending = set(taskreg)
	pending.update(j.task for j in running)
	pending.update(j.task for j in queued)
	pending.discard(None)
	while pending:  # The tasks and all their owners, each read once
		task = pending.pop()
		if task in tasks:
			continue
		tasks[task] = _uiTaskInfo(task)
		if task.task is not None and task.task not in tasks:
			pending.add(task.task)
	measured = [j.mem for j in running if j.mem is not None]
	memjobs = sum(measured) if _LIMIT_WORKERS_RAM and (measured or not running) else None
	return UiSnapshot(pool.name, bool(pool.alive), pool._wkslim, pool.memlimit, pool._tstart
		, None if running or queuelen else tsnap, tsnap, wallclock(0.), pool.jobsdone, running, queued
		, queuelen, tuple(pool.failures), tuple(getattr(pool, '_history', ())), tasks
		, taskreg, tuple(getattr(pool, '_memtrace', ())), memjobs, _LIMIT_WORKERS_RAM, columns)

# === Names kept only for compatibility with the original ==========================================
# Code and tests written for PyExPool v3 read or call these; this module does not use them itself.

# The original pinned jobs through this binary; this module pins them itself (os.sched_setaffinity)
_AFFINITYBIN = 'taskset'
# The original's count of termination requests before SIGKILL; its stops now take killgrace seconds
ExecPool._KILLDELAY = 3


def _updateMem(self):
	"""Sample the memory of the job's process tree per memkind and update the smoothed estimate

	return float  - the estimate in GB: max(current, previous * _RTM + current * (1 - _RTM)),
		where the memory of a process is 0.9 RSS + 0.1 VMS
	Raises AttributeError if the job has no process (and memory is measured).
	"""
	if not _LIMIT_WORKERS_RAM:
		return 0
	return self._noteMem(_treeMemory(self.proc.pid, self.memkind))


Job._updateMem = _updateMem


########################################################################################################
# PART II. THE OPTIONAL LAUNCHERS: each one section, its columns and its guardian action
#
# Nothing in part I names them: a pool gets one through launcher= or _defaultLauncher(), by the names each
# section adds to _LAUNCHERS (PYEXPOOL_LAUNCHER's values).
########################################################################################################


# === Cgroups: exact, kernel-enforced job resources ====================================================
# Where a cgroup is usable, each job runs in one of its own (one directory per used hierarchy) from
# before its first instruction: its peak memory and CPU time cover its whole tree (also descendants it
# did not wait for), its memlim is the cgroup's memory limit (swap excluded, the kernel kills), and
# stopping it signals every process of the cgroup, whatever environment or session they have.
# Hierarchies: cgroup v2 with the memory controller delegated to us, else v1 memory (+ cpuacct, freezer),
# else the v2 core files (cgroup.kill, cpu.stat) alone; a hybrid machine combines v1 memory with them.
# Placement: where every used hierarchy is v1, the spawning thread moves itself (v1 `tasks` takes one
# thread and "0" skips the global threadgroup lock) into the job's cgroups, forks, and moves back: no
# second process, ~0.03 ms. On v2 (a process's threads share one domain cgroup) a /bin/sh shim writes
# its pid into cgroup.procs, acknowledges and execs the program. Facts: research/cgroups.md.

# PYEXPOOL_CGROUP: auto (default), off, or the path of a cgroup directory under which the jobs'
# cgroups are made (a prepared, delegated one; it replaces this process's own cgroup of its hierarchy)
_CGENV = 'PYEXPOOL_CGROUP'
# The name of the cgroups of this process's jobs: pyexpool.<pid>.<n>
_CG_PREFIX = 'pyexpool.'
# Seconds to wait for a cgroup to be empty after its processes were killed (also the EBUSY window of
# rmdir just after the last exit); polled every 1 ms, then slower
_CG_EMPTY_WAIT = 2.0
# The v2 placement shim: moves itself into the cgroups given as $2..$(1+$1), acknowledges on its stdin
# (the write end of a pipe: dash redirects descriptors 0-9 only), makes /dev/null its stdin, as the pool
# gives every job, and execs the program
_CG_SHIM = ('n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ >"$1" || exit 125; shift; n=$((n-1)); done; '
	'printf k >&0 && exec 0</dev/null && exec "$@"')
_CGSEQ = itertools.count(1)


def _cgRead(path):
	"""The stripped text of a cgroup file, None when it is missing or unreadable"""
	try:
		fd = os.open(path, os.O_RDONLY)  # Read on every job: os.read costs a third of a file object
	except OSError:
		return None
	try:
		chunks = []
		while True:
			data = os.read(fd, 65536)
			if not data:
				return b''.join(chunks).decode('utf-8', 'replace').strip()
			chunks.append(data)
	except OSError:
		return None
	finally:
		os.close(fd)


def _cgWrite(path, value):
	"""Write value to a cgroup file (raises OSError: the kernel refuses what it can not do)"""
	fd = os.open(path, os.O_WRONLY | os.O_TRUNC)  # As sh's '>': no effect on cgroupfs, a fake tree is rewritten
	try:
		os.write(fd, value.encode() if isinstance(value, str) else value)
	finally:
		os.close(fd)


def _cgKeys(text):
	"""{key: int} of a flat keyed cgroup file ('key value' lines: cpu.stat, memory.events, oom_control)"""
	found = {}
	for line in (text or '').splitlines():
		parts = line.split()
		if len(parts) == 2 and parts[1].lstrip('-').isdigit():
			found[parts[0]] = int(parts[1])
	return found


def _cgMounts(mountinfo):
	"""[(mount point, mount root, 'v1'|'v2', {controller}, read-only)] of the cgroup mounts of mountinfo text"""
	mounts = []
	for line in mountinfo.splitlines():
		fields, sep, tail = line.partition(' - ')
		fields, tail = fields.split(), tail.split()
		if not sep or len(fields) < 6 or len(tail) < 3 or tail[0] not in ('cgroup', 'cgroup2'):
			continue
		point = re.sub(r'\\([0-7]{3})', lambda m: chr(int(m.group(1), 8)), fields[4])
		opts = set(fields[5].split(',')) | set(tail[2].split(','))
		mounts.append((point, fields[3], 'v2' if tail[0] == 'cgroup2' else 'v1', opts, 'ro' in opts))
	return mounts


def _cgOwnPaths(selfcgroup):
	"""{controller: path} of /proc/self/cgroup text; '' keys the v2 path"""
	paths = {}
	for line in selfcgroup.splitlines():
		parts = line.split(':', 2)
		if len(parts) == 3:
			for ctrl in (parts[1].split(',') if parts[1] else ('',)):
				paths[ctrl] = parts[2]
	return paths


class _CgHier(object):
	"""One cgroup hierarchy the jobs' cgroups are made in: version, base directory, own directory"""
	__slots__ = ('version', 'base', 'own', 'ctrls', '_home')

	def __init__(self, version, base, own, ctrls):
		self.version = version  # 'v1' or 'v2'
		self.base = base  # Directory under which the jobs' cgroups are made
		self.own = own  # Directory of this process's cgroup (placement moves the thread back there), None: not writable
		self.ctrls = ctrls  # {controller} served here (v1 mount options; v2 subtree_control)
		self._home = None  # Descriptor of own's tasks file, opened on the first placement (one per process)

	def home(self):
		"""The descriptor of own's tasks file: writing "0" moves the calling thread back there"""
		if self._home is None:
			self._home = os.open(os.path.join(self.own, 'tasks'), os.O_WRONLY)
		return self._home

	def __repr__(self):
		return '<cgroup {} {} {}>'.format(self.version, self.base, ','.join(sorted(self.ctrls)))


class _CgroupCaps(object):
	"""What the cgroups of this process offer: the hierarchy of each role and how jobs are placed

	memory: _CgHier  - peak, limit and OOM counter of the jobs (None: wait4 and sampling as without)
	cpu: _CgHier  - CPU times of the jobs' trees
	kill: _CgHier  - cgroup.kill (v2) or the freezer (v1), None: signals to every process of cgroup.procs
	hiers: [_CgHier]  - the distinct hierarchies used, procs: the one whose cgroup.procs lists the processes
	placement: 'thread' (all v1) or 'shim' (some v2)
	"""

	def __init__(self, memory, cpu, kill):
		self.memory, self.cpu, self.kill = memory, cpu, kill
		self.hiers = []
		for hier in (memory, cpu, kill):
			if hier is not None and hier not in self.hiers:
				self.hiers.append(hier)
		self.procs = self.hiers[0]
		# The thread moves back to its own cgroups, which it must be allowed to write
		self.placement = 'thread' if all(hier.version == 'v1' and hier.own for hier in self.hiers) else 'shim'

	def __repr__(self):
		return '<cgroups placed by {}: memory {}, cpu {}, kill {}>'.format(self.placement, self.memory, self.cpu, self.kill)


def _cgUsable(point, root, ownpath, ro):
	"""The directory of a cgroup under a mount, or (None, why) when it can not hold our jobs' cgroups"""
	if ro:
		return None, '{} is mounted read-only'.format(point)
	if ownpath is None:
		return None, 'no cgroup of this process in {}'.format(point)
	if '/..' in ownpath or not (ownpath + '/').startswith(root.rstrip('/') + '/'):
		return None, 'the cgroup {} is outside the mount {}'.format(ownpath, point)
	folder = os.path.normpath(point + '/' + ownpath[len(root.rstrip('/')):])
	if not os.path.isdir(folder) or not os.access(folder, os.W_OK):
		return None, '{} is not writable'.format(folder)
	return folder, None


def _cgroupProbe(setting='auto', mountinfo=None, selfcgroup=None):
	"""(_CgroupCaps or None, why not or what is missing): the cgroups usable for the jobs of this process

	Reads only (never raises, prints or creates): the mounts, this process's cgroups, their controllers.
	setting: 'auto', 'off' or a cgroup directory (see _CGENV); mountinfo, selfcgroup: the texts of
		/proc/self/mountinfo and /proc/self/cgroup (tests give fake ones)
	"""
	try:
		if setting == 'off':
			return None, 'cgroups are off ({}=off)'.format(_CGENV)
		if mountinfo is None:
			with open('/proc/self/mountinfo') as finfo:
				mountinfo = finfo.read()
		if selfcgroup is None:
			with open('/proc/self/cgroup') as fcg:
				selfcgroup = fcg.read()
		mounts = _cgMounts(mountinfo)
		own = _cgOwnPaths(selfcgroup)
		given = None if setting in ('auto', '', None) else os.path.normpath(os.path.abspath(setting))
		if given is not None and not any((given + '/').startswith(m[0].rstrip('/') + '/') for m in mounts):
			return None, '{}={} is not in a cgroup mount'.format(_CGENV, setting)
		why = []
		v1 = {}  # controller -> _CgHier
		v2 = None
		for point, root, version, opts, ro in mounts:
			ctrls = opts & {'memory', 'cpuacct', 'freezer'} if version == 'v1' else set()
			if version == 'v1' and not ctrls or version == 'v2' and v2 is not None:
				continue
			ownpath = own.get('' if version == 'v2' else sorted(ctrls)[0])
			folder, err = _cgUsable(point, root, ownpath, ro)
			if given is not None and (given + '/').startswith(point.rstrip('/') + '/'):
				folder, err = (given, None) if os.path.isdir(given) and os.access(given, os.W_OK) and not ro else (
					None, '{}={} is not a writable cgroup directory'.format(_CGENV, setting))
			if err:
				why.append(err)
				continue
			if version == 'v1':
				hier = _CgHier('v1', folder, _cgUsable(point, root, ownpath, ro)[0], ctrls)
				for ctrl in ctrls:
					v1.setdefault(ctrl, hier)
				continue
			if not os.path.exists(folder + '/cgroup.procs'):
				why.append('{} is not a cgroup'.format(folder))
				continue
			v2 = _CgHier('v2', folder, _cgUsable(point, root, ownpath, ro)[0]
				, set((_cgRead(folder + '/cgroup.subtree_control') or '').split()))
			if 'memory' not in v2.ctrls:
				if 'memory' in (_cgRead(folder + '/cgroup.controllers') or '').split():
					why.append('the memory controller of {} is not enabled in its cgroup.subtree_control'
						' (it holds processes; prepare an empty delegated cgroup, see the README)'.format(folder))
				else:
					why.append('no memory controller in the cgroup v2 {}'.format(folder))
		if v2 is not None and 'memory' in v2.ctrls:
			return _CgroupCaps(v2, v2, v2), ''
		memory = v1.get('memory')
		# v1 cpuacct keeps every hierarchy v1 (thread placement, no shim), unless a v2 directory was given
		cpu = v1.get('cpuacct') if (memory is not None or v2 is None) and (v2 is None or v2.base != given) else None
		cpu = cpu or v2
		kill = v2 if v2 is not None and cpu is v2 else v1.get('freezer')
		if memory is None and cpu is None:
			return None, '; '.join(why) or 'no cgroup mount'
		caps = _CgroupCaps(memory, cpu, kill)
		if memory is None:
			why.insert(0, 'no memory cgroup: peaks from wait4, memlim sampled')
		return caps, '; '.join(why)
	except Exception as err:  # A probe never fails the import or the pool: no cgroups then
		return None, 'cgroups not probed: {}'.format(err)


_CGCAPS = None  # (pid, _CgroupCaps or None, reason) of the probe, once per process
# [descriptors kept open by the cgroups of all pools for their per-job reads (_JobCgroup._read), the most
# kept]: a sixteenth of RLIMIT_NOFILE, so that jobs (their pidfds and output files) keep the rest; the
# command line counts it in its descriptor budget (_cliFdSlots). A quarter left a -j sized to the limit
# short of descriptors.
_CG_KEPT = [0, resource.getrlimit(resource.RLIMIT_NOFILE)[0] // 16]
if _CG_KEPT[1] < 0:  # RLIM_INFINITY (-1)
	_CG_KEPT[1] = 1 << 16


def _cgroupCaps():
	"""(_CgroupCaps or None, reason) of this process, probed once (again in a forked child)"""
	global _CGCAPS
	if _CGCAPS is None or _CGCAPS[0] != os.getpid():
		_CGCAPS = (os.getpid(),) + _cgroupProbe(os.environ.get(_CGENV, 'auto').strip() or 'auto')
	return _CGCAPS[1:]


def _cpuSplit(total, user, system):
	"""(user s, sys s) summing to total s, the exact CPU time, split in the proportion of the tick-sampled
	user and system counters as the kernel splits a process's exact runtime for wait4 and getrusage
	(cputime_adjust(), kernel/sched/cputime.c): all user time while no system tick was seen, all system
	time while no user tick was (a job shorter than a tick has none: its time is user time)"""
	if not system:
		return total, 0.
	if not user:
		return 0., total
	system = total * system / (user + system)
	return total - system, system


class _JobCgroup(object):
	"""The cgroup of a job (a directory per used hierarchy), reused by the next job once it is empty

	Figures are differences from the counters at each job's start (the v1 peak is reset); a v2 cgroup
	serves one job (memory.peak can not be reset before Linux 6.12).
	"""

	def __init__(self, caps, name):
		self.caps = caps
		self.dirs = {}  # _CgHier -> directory of this cgroup in it
		self.limit = None  # Bytes of the memory limit set, 0: none
		self._base = (0, 0, 0, 0)  # (OOM kills, CPU total, user, sys counters) at the start of the current job
		self._last = (0, 0, 0, 0)  # The same at the end of the last job read: a new cgroup's are 0
		self._skew = 0.  # CPU s of the spawning thread charged here during placement
		self._tasks = {}  # _CgHier -> descriptor of this cgroup's tasks file (thread placement)
		self._kept = {}  # path -> descriptor of a file read on every job (_read)
		self._files = None  # Names of the files of its directories (the kernel's features): 'v1/memory.peak'
		for hier in caps.hiers:
			folder = os.path.join(hier.base, name)
			os.mkdir(folder)
			self.dirs[hier] = folder

	def __repr__(self):
		return '<JobCgroup {}>'.format(' '.join(self.dirs.values()))

	@property
	def reusable(self):
		return self.caps.placement == 'thread'

	def _path(self, hier, name):
		return os.path.join(self.dirs[hier], name)

	def _has(self, hier, name):
		"""Whether the kernel made the file in the cgroup's directory of hier (listed once)"""
		if self._files is None:
			self._files = {other.version + '/' + fname for other, folder in self.dirs.items() for fname in os.listdir(folder)}
		return hier.version + '/' + name in self._files

	def prepare(self, limit):
		"""Make the (empty) cgroup ready for a job: its memory limit in bytes (0: none), the baselines"""
		mem = self.caps.memory
		if mem is not None:
			if mem.version == 'v2':
				if limit != self.limit:
					_cgWrite(self._path(mem, 'memory.max'), str(limit) if limit else 'max')
					for name, value in (('memory.swap.max', '0'), ('memory.oom.group', '1')):
						if self._has(mem, name):
							_cgWrite(self._path(mem, name), value)
			else:
				if limit != self.limit:
					# memsw (memory + swap) must never be below the memory limit: lift it first
					memsw = self._has(mem, 'memory.memsw.limit_in_bytes')
					if memsw:
						_cgWrite(self._path(mem, 'memory.memsw.limit_in_bytes'), '-1')
					_cgWrite(self._path(mem, 'memory.limit_in_bytes'), str(limit) if limit else '-1')
					if memsw and limit:
						_cgWrite(self._path(mem, 'memory.memsw.limit_in_bytes'), str(limit))
				if self.limit is not None:  # Reused: the peak that figures() reads restarts from the current usage
					_cgWrite(self._path(mem, self._peakFiles()[0]), '0')
		self.limit = limit
		self._base = self._last  # Nothing ran in the empty cgroup since the last job's figures
		self._skew = 0.

	def _read(self, hier, name):
		"""The stripped text of one of its files read on every job (None: missing or unreadable): a reused
		cgroup keeps its descriptor open while _CG_KEPT allows, and os.pread at offset 0 makes cgroupfs
		generate the text anew (seq_read_iter): 1.5 us a read here instead of 10 us for open, read and close"""
		path = self._path(hier, name)
		fd = self._kept.get(path)
		if fd is None:
			if not self.reusable or _CG_KEPT[0] >= _CG_KEPT[1]:
				return _cgRead(path)
			try:
				fd = os.open(path, os.O_RDONLY)
			except OSError:
				return None
			self._kept[path] = fd
			_CG_KEPT[0] += 1
		try:
			data = os.pread(fd, 65536, 0)
		except OSError:
			return None
		return data.decode('utf-8', 'replace').strip() if len(data) < 65536 else _cgRead(path)

	def _peakFiles(self):
		"""The names of the files that may hold the peak memory, the preferred first"""
		if self.caps.memory.version == 'v2':
			return ('memory.peak',)
		if self._has(self.caps.memory, 'memory.memsw.max_usage_in_bytes'):  # Memory + swap: all it held
			return ('memory.memsw.max_usage_in_bytes', 'memory.max_usage_in_bytes')
		return ('memory.max_usage_in_bytes',)

	def _oomKills(self):
		"""OOM kills in the cgroup since it was made (a cumulative kernel counter; 0 without memory)"""
		mem = self.caps.memory
		if mem is None:
			return 0
		if mem.version == 'v2':
			events = _cgRead(self._path(mem, 'memory.events.local'))  # Not the OOMs of cgroups a job made inside
			return _cgKeys(events if events is not None else _cgRead(self._path(mem, 'memory.events'))).get('oom_kill', 0)
		return _cgKeys(self._read(mem, 'memory.oom_control')).get('oom_kill', 0)

	def _cpuCounters(self):
		"""(total ns, user, sys) CPU counters of the cgroup since it was made (cumulative), (0, 0, 0) without
		a CPU hierarchy. The total is exact: the scheduler's runtime (v1 cpuacct.usage in ns, v2 cpu.stat
		usage_usec); user and sys are tick-sampled (v1 cpuacct.usage_user/usage_sys, v2 user_usec/system_usec
		in cgroups without the cpu controller): only their proportion is used, see _cpuSplit()"""
		cpu = self.caps.cpu
		if cpu is None:
			return 0, 0, 0
		if cpu.version == 'v2':
			stat = _cgKeys(_cgRead(self._path(cpu, 'cpu.stat')))
			return stat.get('usage_usec', 0) * 1000, stat.get('user_usec', 0), stat.get('system_usec', 0)
		total = int(self._read(cpu, 'cpuacct.usage') or 0)
		if self._has(cpu, 'cpuacct.usage_all'):  # Both per CPU in one read: "cpu user system" lines (Linux 4.16+)
			rows = [row for row in (line.split() for line in (self._read(cpu, 'cpuacct.usage_all') or ''
				).splitlines()[1:]) if len(row) == 3]
			return total, sum(int(row[1]) for row in rows), sum(int(row[2]) for row in rows)
		user, system = (self._read(cpu, 'cpuacct.usage_user'), self._read(cpu, 'cpuacct.usage_sys'))
		return total, int(user or 0), int(system or 0)

	def ooms(self):
		"""OOM kills in the cgroup during the current job"""
		return self._oomKills() - self._base[0]

	def usage(self):
		"""Bytes charged to the cgroup now (0 without a memory hierarchy)"""
		mem = self.caps.memory
		if mem is None:
			return 0
		value = self._read(mem, 'memory.current' if mem.version == 'v2' else 'memory.usage_in_bytes')
		return int(value) if value and value.isdigit() else 0

	def charged(self):
		"""Bytes that the cgroup's processes left charged to it, exact: v1 memory.usage_in_bytes counts also the
		pages pre-charged to the per-CPU caches (up to 64 per CPU, held by no process; the next charges on that
		CPU take them first) and is documented as fuzzy; memory.stat rss + cache (+ swap) is the exact figure
		(Documentation/admin-guide/cgroup-v1/memory.rst 5.5), with the kernel objects charged (memory.kmem)"""
		mem = self.caps.memory
		if mem is None or mem.version == 'v2':  # v2 memory.current has no such fuzz
			return self.usage()
		fields = (_cgRead(self._path(mem, 'memory.stat')) or '').split()  # "key value" lines: 40 here, 3 of them used
		stat = dict(zip(fields[::2], fields[1::2]))
		kmem = _cgRead(self._path(mem, 'memory.kmem.usage_in_bytes')) if self._has(mem, 'memory.kmem.usage_in_bytes') else None
		return sum(int(value) for value in (stat.get('rss'), stat.get('cache'), stat.get('swap'), kmem) if value and value.isdigit())

	def figures(self):
		"""(peak bytes or None, user s, sys s, OOM kills) of the current job (read once it is empty); the
		CPU times are None without a CPU hierarchy (wait4's stand)"""
		oom = self._oomKills()
		counters = self._cpuCounters()
		self._last = (oom,) + counters
		peak = None
		if self.caps.memory is not None:
			for name in self._peakFiles():
				value = self._read(self.caps.memory, name)
				if value is not None and value.isdigit():
					peak = int(value)
					break
		user = system = None
		if self.caps.cpu is not None:
			total, uticks, sticks = (now - then for now, then in zip(counters, self._base[1:]))
			user, system = _cpuSplit(max(0., total / 1e9 - self._skew), uticks, sticks)
		return peak, user, system, oom - self._base[0]

	# --- Placement ---------------------------------------------------------------------------------

	@contextlib.contextmanager
	def placing(self):
		"""Thread placement: the calling thread is in the cgroup inside the block (its forks start there)"""
		if not self._tasks:
			for hier, folder in self.dirs.items():
				self._tasks[hier] = os.open(os.path.join(folder, 'tasks'), os.O_WRONLY)
		moved = []
		# The thread's exact runtime (CLOCK_THREAD_CPUTIME_ID): getrusage(RUSAGE_THREAD) reads it without
		# bringing the running thread's figure up to date, up to a scheduler tick off, which was more than a
		# short job's own CPU and made it 0
		cpu0 = time.thread_time()
		try:
			for hier, here in self._tasks.items():
				home = hier.home()
				os.write(here, b'0')
				moved.append(home)
			yield
		finally:
			for home in moved:
				os.write(home, b'0')
			self._skew = time.thread_time() - cpu0

	def shimArgs(self, args):
		"""The argument list running args through the v2 placement shim"""
		procs = [self._path(hier, 'cgroup.procs') for hier in self.caps.hiers]
		return ['/bin/sh', '-c', _CG_SHIM, 'pyexpool-cgroup', str(len(procs))] + procs + list(args)

	# --- Processes -----------------------------------------------------------------------------------

	def pids(self):
		"""[pid] of the processes in the cgroup and in the cgroups a job made inside it (a v1 cgroup.procs
		lists only its own: a nested pool's jobs are in cgroups of their own)"""
		found = []
		for folder in _cgTree(self.dirs[self.caps.procs]):
			# Opened anew each time: a v1 cgroup.procs kept open and read again within a second serves the pid
			# list it loaded first (kernel/cgroup/cgroup-v1.c: cgroup_pidlist_start), without a process that
			# joined since (seen here)
			text = _cgRead(os.path.join(folder, 'cgroup.procs'))
			if text:
				found.extend(int(pid) for pid in text.split())
		return found

	def signal(self, sig):
		"""Send sig once to every process of the cgroup, also the ones forking meanwhile where it can:
		SIGKILL through v2 cgroup.kill, any signal with the v1 cgroup frozen while its processes are listed"""
		kill = self.caps.kill
		if sig == signal.SIGKILL and kill is not None and kill.version == 'v2' and self._has(kill, 'cgroup.kill'):
			_cgWrite(self._path(kill, 'cgroup.kill'), '1')
			return
		frozen = kill is not None and kill.version == 'v1'
		if frozen:  # A frozen cgroup can not fork while its processes are listed and signalled
			_cgWrite(self._path(kill, 'freezer.state'), 'FROZEN')
		try:
			_signalPids(self.pids(), sig)
		finally:
			if frozen:  # A frozen process handles its signals (or dies) once thawed
				_cgWrite(self._path(kill, 'freezer.state'), 'THAWED')

	def kill(self):
		"""SIGKILL every process of the cgroup"""
		self.signal(signal.SIGKILL)

	def empty(self):
		"""Whether no process is left in the cgroup"""
		procs = self.caps.procs
		if procs.version == 'v2':
			events = _cgKeys(_cgRead(self._path(procs, 'cgroup.events')))
			if 'populated' in events:
				return not events['populated']
		return not self.pids()

	def waitEmpty(self, timeout=_CG_EMPTY_WAIT, kill=True):
		"""Wait until the cgroup is empty, killing what is left when kill; return whether it is"""
		deadline = time.perf_counter() + timeout
		pause = 0.0005
		while not self.empty():
			if time.perf_counter() >= deadline:
				return False
			if kill:
				self.kill()
			time.sleep(pause)
			pause = min(pause * 2, 0.02)
		return True

	def reclaim(self):
		"""Free the memory still charged to the empty cgroup (the page cache of the files its jobs wrote): a
		removed memory cgroup stays in the kernel, dying, while pages are charged to it, and the host has
		65535 memory cgroup ids for everyone. v1 memory.force_empty is meant for this "before calling
		rmdir()"; v2 memory.reclaim (Linux 5.19+) frees the bytes written (Documentation/admin-guide/
		cgroup-v1/memory.rst 5.1, cgroup-v2.rst). Dirty pages are written back first: their data is kept"""
		mem = self.caps.memory
		if mem is None:
			return
		try:
			if mem.version == 'v1':
				_cgWrite(self._path(mem, 'memory.force_empty'), '0')
			elif self._has(mem, 'memory.reclaim'):
				charged = self.usage()
				if charged:
					_cgWrite(self._path(mem, 'memory.reclaim'), str(charged))
		except OSError:  # Not all of it could be freed (v2 EAGAIN), a vanished cgroup: removed all the same
			pass

	def remove(self):
		"""Kill what is left, reclaim its memory and remove the cgroup's directories (retrying EBUSY); return
		whether all are gone"""
		for fd in self._tasks.values():
			os.close(fd)
		self._tasks = {}
		for fd in self._kept.values():
			os.close(fd)
		_CG_KEPT[0] -= len(self._kept)
		self._kept = {}
		if self.waitEmpty():
			self.reclaim()
		for hier, folder in list(self.dirs.items()):
			if _cgRemoveDir(folder):
				del self.dirs[hier]
		return not self.dirs


def _cgTree(folder):
	"""A cgroup directory and the cgroups inside it, the innermost first"""
	try:
		if os.stat(folder).st_nlink <= 2:  # No subdirectory (cgroupfs counts them, as other filesystems do)
			return [folder]
	except OSError:
		return [folder]
	return [sub for sub, _, _ in os.walk(folder, topdown=False)]


def _cgRemoveDir(folder, timeout=_CG_EMPTY_WAIT):
	"""rmdir an empty cgroup and the cgroups a job made inside it, retrying EBUSY (the last exit is still
	being processed just after the cgroup emptied: mesos saw up to 200 ms); return whether it is gone"""
	deadline = time.perf_counter() + timeout
	for sub in _cgTree(folder):
		while True:
			try:
				os.rmdir(sub)
				break
			except FileNotFoundError:
				break
			except OSError as err:
				if err.errno != errno.EBUSY or time.perf_counter() >= deadline:
					return False
				time.sleep(0.001)
	return True


# Bytes an emptied cgroup may keep charged (kernel objects of its exited processes) and still serve the
# next job; above it (the page cache of files a job wrote) a new cgroup is made, so a job's peak counts
# at most this much of an earlier job's memory (v1: besides the per-CPU pre-charges, see charged())
_CG_REUSE_MAX = 1 << 20


# The guardian's action on the cgroups of the jobs ("cgroup <path>" records)
_guardianAction('cgroup', r'''
def killCgroups(paths):
	# A job's cgroup holds every process of its tree: kill them (thawed: a frozen process would not die)
	# until it is empty, then remove it (retrying EBUSY: the last exits are processed just after)
	left, deadline = set(paths), time.time() + 5
	while left and time.time() < deadline:
		for path in list(left):
			for name, value in (('freezer.state', b'THAWED'), ('cgroup.kill', b'1')):
				try:
					fd = os.open(path + '/' + name, os.O_WRONLY)
					try:
						os.write(fd, value)
					finally:
						os.close(fd)
				except OSError:
					pass
			tree = [sub for sub, _, _ in os.walk(path, topdown=False)]  # Also the cgroups a job made inside
			for sub in tree:
				try:
					with open(sub + '/cgroup.procs') as fprocs:
						pids = fprocs.read().split()
				except OSError:
					pids = []
				for pid in pids:
					try:
						os.kill(int(pid), signal.SIGKILL)
					except (OSError, ValueError):
						pass
			for sub in tree:
				try:
					os.rmdir(sub)
				except OSError:
					pass
			if not os.path.exists(path):
				left.discard(path)
		if left:
			time.sleep(0.005)
''')


class _CgroupFailure(Exception):
	"""A cgroup could not be made or entered: the job runs without one, the pool stops using cgroups"""


class CgroupLauncher(LocalLauncher):
	"""Local jobs, each in a cgroup of its own from before its first instruction (where cgroups are
	usable, else as LocalLauncher): the figures cover the whole tree, memlim is the kernel's limit, a
	stop reaches every process of the cgroup. Empty cgroups are reused by the next jobs while the pool
	has work; they are removed when it is idle (join() returned, terminate()), and by the guardian if this
	process dies."""
	accounting = 'cgroup'

	def __init__(self, caps=None):
		"""caps: (_CgroupCaps or None, reason) - the probe's result, this process's by default"""
		super().__init__()
		self.caps, self.why = caps if caps is not None else _cgroupCaps()  # caps None: plain LocalLauncher
		self._inuse = set()  # _JobCgroup of the running jobs (job._run.launch)
		self._idle = []  # Empty _JobCgroup ready for the next job
		self._spent = []  # Empty _JobCgroup that can not serve another job, removed at the next _take() or idle()

	@property
	def kernelMemlim(self):
		return self.caps is not None and self.caps.memory is not None

	def __repr__(self):
		return '<CgroupLauncher {}>'.format(self.caps if self.caps is not None else 'without cgroups: ' + self.why)

	def _fail(self, err):
		"""Stop using cgroups in this pool, said once; the jobs run as with LocalLauncher"""
		if self.caps is not None:
			self.caps = None
			self.why = str(err)
			pool = self.pool
			_warnmsg('WARNING{}, cgroups are not used any more: {}'.format(_nameSuffix(pool.name if pool else None), err))
		self.close()

	def _take(self, job):
		"""An empty cgroup prepared for the job (its memlim), None without cgroups"""
		self._dropSpent()
		if self.caps is None:
			return None
		cgroup = self._idle.pop() if self._idle else None
		try:
			if cgroup is None:
				cgroup = _JobCgroup(self.caps, '{}{}.{}'.format(_CG_PREFIX, os.getpid(), next(_CGSEQ)))
				for folder in cgroup.dirs.values():
					_guard('cgroup', folder)
			cgroup.prepare(int(inBytes(job.memlim)) if job.memlim else 0)
			return cgroup
		except OSError as err:  # A write refused, a vanished controller: not this job's failure
			if cgroup is not None:
				self._drop(cgroup)
			self._fail('{} ({})'.format(err, getattr(err, 'filename', '') or 'cgroup'))
			return None

	def _dropSpent(self):
		"""Remove the cgroups whose jobs completed since: removed after the completion (not when their job's
		process is reaped), so that the callbacks have handled the job's outputs (the command line truncates
		its temporary files): v1 memory.force_empty, before the removal, sleeps 100 ms in the kernel on a
		dirty page still charged to the cgroup (mm/memcontrol.c: mem_cgroup_force_empty -> reclaim_throttle)"""
		spent, self._spent = self._spent, []
		for cgroup in spent:
			self._drop(cgroup)

	def _drop(self, cgroup):
		"""Remove a cgroup (and its guardian records once it is gone)"""
		dirs = list(cgroup.dirs.values())
		cgroup.remove()
		for folder in dirs:
			if folder not in cgroup.dirs.values():
				_unguard('cgroup', folder)

	def spawn(self, job, args, kwargs, cpus):
		_markEnv(kwargs['env'], job._run.marker)
		cgroup = self._take(job)
		if cgroup is None:
			return self._spawnGroup(args, kwargs, cpus)
		try:
			if self.caps.placement == 'thread':
				proc = self._spawnThread(cgroup, args, kwargs, cpus)
			else:
				proc = self._spawnShim(cgroup, args, kwargs, cpus)
		except _CgroupFailure as err:
			self._drop(cgroup)
			self._fail(err)
			return self._spawnGroup(args, kwargs, cpus)
		except BaseException:  # The program could not start (OSError, a bad argument): the cgroup serves the next job
			self._idle.append(cgroup)
			raise
		job._run.launch = cgroup  # Its cgroup's guardian record covers its process group too
		self._inuse.add(cgroup)
		return proc

	@staticmethod
	def _spawnThread(cgroup, args, kwargs, cpus):
		"""Fork from inside the cgroup: the spawning thread enters it, then sets the affinity and forks"""
		try:
			placing = cgroup.placing()
			placing.__enter__()
		except OSError as err:
			raise _CgroupFailure('the cgroup {} can not be entered: {}'.format(cgroup, err))
		try:
			return _popen(args, kwargs, cpus)
		finally:
			placing.__exit__(None, None, None)

	@staticmethod
	def _spawnShim(cgroup, args, kwargs, cpus):
		"""Start the program through the placement shim; it runs only once the shim acknowledged its move"""
		if kwargs.get('stdin') != subprocess.DEVNULL:
			raise _CgroupFailure('the placement shim needs the job\'s stdin to be /dev/null')
		ackr, ackw = os.pipe()
		try:
			program = kwargs.get('executable') or args[0]
			shimkw = dict(kwargs, executable='/bin/sh', stdin=ackw)
			proc = _popen(cgroup.shimArgs([program] + list(args[1:])), shimkw, cpus)
			os.close(ackw)
			ackw = None
			if os.read(ackr, 1) != b'k':  # Placement refused (the shim exited 125): the program never ran
				proc.wait()
				raise _CgroupFailure('the placement into {} failed (exit code {})'.format(cgroup, proc.returncode))
			return proc
		finally:
			os.close(ackr)
			if ackw is not None:
				os.close(ackw)

	def signal(self, jobs, sig):
		plain = [job for job in jobs if job._run.launch is None]
		if plain:
			super().signal(plain, sig)
		for job in jobs:  # Each process of the cgroup once (its process group is in it)
			cgroup = job._run.launch
			if cgroup is not None:
				cgroup.signal(sig)

	def memoryKilled(self, job):
		cgroup = job._run.launch
		if cgroup is None or self.caps is None or self.caps.memory is None:
			return None
		return cgroup.ooms() > 0

	def reaped(self, job, status, rusage):
		cgroup, job._run.launch = job._run.launch, None
		if cgroup is None:
			return super().reaped(job, status, rusage)
		self._inuse.discard(cgroup)
		self._rusageFigures(job, rusage)  # wait4's figures where the cgroup has none (a missing memory.peak)
		# Whatever the job left in its cgroup ends with it, as its process group: the figures are final then
		try:
			empty = cgroup.empty()
			if not empty:
				cgroup.kill()
				empty = cgroup.waitEmpty()
			peak, utime, stime, ooms = cgroup.figures()
		except (OSError, ValueError) as err:  # A vanished controller: wait4's figures, no more cgroups
			self._drop(cgroup)
			self._fail('the figures of {} could not be read: {}'.format(cgroup, err))
			return True
		# Else wait4's: memory alone is a cgroup (a delegated v1 memory cgroup). The cgroup's runtime less the
		# spawning thread's part is short of the exact figure by 30-200 us here: part of the thread's CPU around
		# the placement is charged to its own cgroup, and a task's last stretch is charged when it is switched
		# out, which may follow its parent's wait4 (a `true` of ~0.9 ms read as 0.0 under load). wait4's figure
		# of the job's process and the descendants it waited for is exact (the kernel adds the pending runtime):
		# the larger one stands, the cgroup's where descendants wait4 does not see add more
		if utime is not None and (job.utime is None or utime + stime > job.utime + job.stime):
			job.utime, job.stime = utime, stime
		if peak is not None:
			job.rssmax = inGigabytes(peak)
		job.accounting = self.accounting
		if ooms > 0 and job.reason in (None, 'memory limit chain'):
			job.reason = 'memory limit'  # The kernel's OOM killer acted on its own limit: an origin, not chained
		# Judged by the usage (one read), or, where its fuzz exceeds the bound, by the exact charges
		if empty and cgroup.reusable and self.caps is not None and (cgroup.usage() <= _CG_REUSE_MAX
		or cgroup.charged() <= _CG_REUSE_MAX):
			self._idle.append(cgroup)  # Until the pool is idle()
		elif empty:
			self._spent.append(cgroup)
		else:
			self._drop(cgroup)
			_warnmsg('WARNING, the cgroup of "{}" kept processes after SIGKILL; it is left to the guardian'.format(job.name))
		return True

	def sweep(self):
		super().sweep()
		for cgroup in list(self._inuse):
			cgroup.kill()

	def idle(self):
		self._dropSpent()
		idle, self._idle = self._idle, []
		for cgroup in idle:
			self._drop(cgroup)

	def close(self):
		self.idle()


def _cgroupsMissing():
	"""What is missing for cgroups=True (a cgroup with the memory controller), None: nothing"""
	caps, why = _cgroupCaps()
	return 'no cgroup with the memory controller is usable: ' + why if caps is None or caps.memory is None else None


def _cgroupLauncher(cgroups):
	"""The default launcher of a pool: a cgroup per job where usable (cgroups None), required (True:
	ValueError saying what is missing) or never (False)"""
	if cgroups is False:
		return LocalLauncher()
	if cgroups and _cgroupsMissing():
		raise ValueError('cgroups=True, but {}'.format(_cgroupsMissing()))
	caps, why = _cgroupCaps()
	return CgroupLauncher((caps, why)) if caps is not None else LocalLauncher()


def _cgroupRequired(cgroups):
	"""PYEXPOOL_LAUNCHER=cgroup: a cgroup per job, required (ValueError saying what is missing)"""
	missing = 'cgroups=False' if cgroups is False else _cgroupsMissing()
	if missing:
		raise ValueError('{}=cgroup, but {}'.format(_LAUNCHERENV, missing))
	return _cgroupLauncher(True)


_LAUNCHERS.update({None: _cgroupLauncher, 'cgroup': _cgroupRequired})


# === Slurm: every job is an srun client ================================================================
# A job runs as `srun -n1 -N1 ... <program>`: a local child that the pool watches like any other (its exit,
# its PIPE outputs), whose Slurm job the cluster places, limits and accounts. What the pool learns from the
# controller comes from batched calls, at most one of each kind per _SLURM_PERIOD and none while nothing is
# in flight: squeue for the ids, nodes and start times of the jobs started since the last call, sacct for
# the state and figures of the jobs whose srun exited. Jobs are stopped through `scancel <ids>` only: srun
# forks a shepherd that cancels the job if srun alone dies, but a kill of srun's whole process group leaks
# the allocation until its --time (so srun carries no job marker and no process group record).

# srun's exit code for its own errors (SLURM_EXIT_ERROR, SLURM_EXIT_IMMEDIATE): a job that Slurm refused
_SLURM_EXIT_ERROR = 250
# Seconds between two batched squeue (or sacct) calls, at least; squeue backs off to _SLURM_PERIOD_MAX
# while it learns nothing new (jobs waiting in the queue)
_SLURM_PERIOD = 1.
_SLURM_PERIOD_MAX = 8.
# Seconds after srun's exit before the first sacct call (its records reach the database later)
_SLURM_ACCT_DELAY = 0.5
# Seconds after srun's exit that a job waits for its final sacct lines at most
_SLURM_ACCT_BOUND = 10.
# Minutes added to the --time backstop of a job with a timeout (the pool's own timer comes first)
_SLURM_TIME_MARGIN = 1
# Seconds a Slurm command may take before it counts as failed
_SLURM_CALL_TIMEOUT = 30
# Seconds between the checks of a Slurm command running in the background
_SLURM_CALL_CHECK = 0.02
# Job states of jobs in flight; the others are final
_SLURM_ACTIVE = frozenset(('PENDING', 'CONFIGURING', 'RUNNING', 'COMPLETING', 'SUSPENDED', 'STOPPED'
	, 'SIGNALING', 'STAGE_OUT', 'RESIZING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'RESV_DEL_HOLD'))
# Final states that say why a job ended, as the pool's reasons (COMPLETED, FAILED: it ended by itself)
_SLURM_REASONS = {'TIMEOUT': 'timeout', 'DEADLINE': 'timeout', 'OUT_OF_MEMORY': 'memory limit'
	, 'CANCELLED': 'cancelled', 'REVOKED': 'cancelled', 'NODE_FAIL': 'node failure'
	, 'BOOT_FAIL': 'node failure', 'PREEMPTED': 'preempted'}
_SLURM_SACCT_FORMAT = 'JobIDRaw,JobName,State,ExitCode,ElapsedRaw,UserCPU,SystemCPU,MaxRSS,NodeList,Start'
_SLURM_NOTNODE = ('', 'None assigned', '(null)', 'n/a')


def _slurmSeconds(text):
	"""Seconds of a Slurm duration [D-][HH:]MM:SS[.mmm], None when empty"""
	if not text:
		return None
	days, _, clock = text.rpartition('-')
	secs = 0.
	for part in clock.split(':'):
		secs = secs * 60 + float(part)
	return secs + int(days or 0) * 86400


def _slurmGigabytes(text):
	"""GB of a Slurm size such as 160512K; None when empty or 0 (not measured)"""
	if not text:
		return None
	scale = {'K': 1024, 'M': 1024 ** 2, 'G': 1024 ** 3, 'T': 1024 ** 4}.get(text[-1].upper())
	nbytes = float(text[:-1]) * scale if scale else float(text)
	return inGigabytes(nbytes) if nbytes else None


def _slurmEpoch(text):
	"""Epoch seconds of a Slurm timestamp (local time, 2026-12-01T08:50:30), None when not a time"""
	try:
		return time.mktime(time.strptime(text, '%Y-%m-%dT%H:%M:%S'))
	except (ValueError, OverflowError):
		return None


# The guardian's actions: cancel the Slurm jobs of known ids ("slurm <id> [<SLURM_CONF>]"), ask the sruns
# of jobs whose id was not known yet to cancel theirs ("srun <pid>")
_guardianAction('srun', r'''
def stopSruns(pids):
	# srun clients whose job id the pool did not know yet: a SIGTERM to srun alone (never its group, which
	# holds the shepherd that cancels the job) makes it cancel its job
	for pid in pids:
		try:
			if os.path.basename(os.readlink('/proc/{}/exe'.format(pid))) == 'srun':
				os.kill(int(pid), signal.SIGTERM)
		except (OSError, ValueError):
			pass
''')
_guardianAction('slurm', r'''
def cancelSlurm(records):
	# "<job id> [<SLURM_CONF>]": one scancel per configuration (the guardian may predate a pool's SLURM_CONF)
	import subprocess
	byconf = {}
	for rec in records:
		jobid, _, conf = rec.partition(' ')
		byconf.setdefault(conf, []).append(jobid)
	for conf, ids in byconf.items():
		env = dict(os.environ, SLURM_CONF=conf) if conf else None
		try:
			subprocess.run(['scancel'] + ids, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL
				, stderr=subprocess.DEVNULL, timeout=30)
		except Exception:
			pass
''')


class _SlurmRun(object):
	"""SlurmLauncher's state of a run (_Run.launch)"""
	__slots__ = ('name', 'start', 'pending', 'cancelled', 'guard')

	def __init__(self, name):
		self.name = name  # Its Slurm job name
		self.start = None  # perf_counter() of its start on the cluster, once known
		self.pending = False  # squeue sees it waiting for resources
		self.cancelled = False  # scancel was asked for it
		self.guard = None  # Its record held by the guardian


class SlurmLauncher(Launcher):
	"""Jobs run on a Slurm cluster: each job is one `srun -n1 -N1 ...` client process, a job step (--exact)
	when the pool runs inside an allocation (SLURM_JOB_ID set)

	Mapping: the pool's timer stays authoritative and --time is a backstop (whole minutes, rounded up,
	plus _SLURM_TIME_MARGIN); memlim -> --mem (without memlim: no --mem, so the partition's default
	applies; inside an allocation its memory / wksnum, since a step without --mem takes all of it); the
	pool's memlimit never becomes a --mem: it admits jobs by the sum of their --mem; partition, account
	and qos given here -> --partition, --account, --qos (else srun reads SLURM_PARTITION, SLURM_ACCOUNT,
	SLURM_QOS from the environment, as always); the affinity step -> --cpus-per-task
	with --cpu-bind=cores unless omitafn; workdir -> --chdir (it must exist here too: a missing one
	fails the job, where Slurm would run it in /tmp); --job-name <pool prefix>.<seq>.<name>;
	--export=ALL. The figures come from sacct: utime, stime, rssmax (MaxRSS, sampled); wtime runs from
	the step's start (sacct's Start, whole seconds) to srun's exit: the wait in the queue is not in it;
	job.slurmid and job.node are set as the pool learns them.

	calls: collections.Counter  - Slurm commands run by this launcher, per program (the controller load)
	"""
	accounting = 'slurm'
	columns = ('node', 'slurmid')  # The node it ran on; its Slurm job id ('<job>.<step>' in an allocation)
	reserves = True  # Slurm holds each job to its --mem
	# No job marker in srun's environment: the tree kills and the guardian scan /proc for it, they must never reach srun

	def __new__(cls, *args, pernode=False, **kwargs):
		if pernode and cls is SlurmLauncher:  # One agent per node of an allocation
			cls = SlurmNodesLauncher
		return super().__new__(cls)

	def __init__(self, partition=None, account=None, qos=None, options=(), pernode=False, nodes=None):
		"""partition, account, qos: str  - srun's --partition, --account, --qos (None: the cluster's default)
		options: sequence of str  - further srun options, e.g. ('--constraint=ib',), given last
		pernode: bool  - one agent per node of an allocation runs the jobs (SlurmNodesLauncher), not an
			srun per job; nodes: int  - its nodes (see SlurmNodesLauncher)
		"""
		if nodes is not None and not pernode and type(self) is SlurmLauncher:
			raise ValueError('nodes={!r} needs pernode=True'.format(nodes))
		super().__init__()
		self.partition = _checkType(partition, str, 'partition')
		self.account = _checkType(account, str, 'account')
		self.qos = _checkType(qos, str, 'qos')
		if isinstance(options, str) or not isinstance(options, (list, tuple)) or not all(
		isinstance(opt, str) for opt in options):
			raise TypeError('options must be a sequence of str srun options, not {!r}'.format(options))
		self.options = tuple(options)
		self.calls = collections.Counter()
		self._srun = None  # Path of srun, found by attach()
		self._alloc = None  # Id of the allocation the pool runs in: its jobs are steps of it
		self._prefix = None  # Job name prefix of the pool's jobs
		self._seq = itertools.count(1)
		self._named = {}  # Slurm job name -> Job whose srun runs or whose figures are awaited
		self._running = set()  # Jobs whose srun runs
		self._settling = {}  # Job -> perf_counter() of its srun's exit: waiting for its sacct lines
		self._cancel = set()  # Jobs the pool stops whose id is not known yet
		self._polled = -_SLURM_PERIOD  # perf_counter() of the last squeue call
		self._pollat = None  # perf_counter() of the next squeue call, None: nothing to learn
		self._pollperiod = _SLURM_PERIOD
		self._acctat = 0.  # perf_counter() before which no sacct call runs
		self._acctoff = None  # Why Slurm gives no figures (sacct's message), once known
		self._failing = set()  # Slurm commands whose failure was reported (once until one succeeds)
		self._sacct = None  # The sacct call running in the background
		# Slurm id -> (job name, guardian record or None) of the jobs whose srun exited while Slurm's record of
		# them is not final: an srun that can not reach the controller at its end gives up without ending its
		# allocation, which then stays RUNNING (until --time or InactiveLimit); cancelled once it answers
		self._strays = {}
		self._strayat = None  # perf_counter() of the next check of the strays
		self._straycall = None  # The squeue call about the strays running in the background

	def attach(self, pool, prefix, slots, afnmask):
		srun = shutil.which('srun')
		if srun is None:
			raise FileNotFoundError(errno.ENOENT, "SlurmLauncher needs Slurm's srun, which is not on PATH {!r}".format(
				os.environ.get('PATH', os.defpath)), 'srun')
		self._checkPartition()
		super().attach(pool, prefix, slots, afnmask)
		self._srun = srun
		self._alloc = os.environ.get('SLURM_JOB_ID') or None
		self._prefix = 'pyexpool-{:x}-{}'.format(os.getpid(), os.urandom(3).hex())

	def _checkPartition(self):
		"""ValueError when the partition the jobs go to (partition, else srun's SLURM_PARTITION; a list:
		each of them) is not one of the cluster's: said once before any job, not by srun for every job.
		A controller that does not answer now is no error here (srun reports it per job)"""
		source, given = ('partition', self.partition) if self.partition else ('SLURM_PARTITION'
			, os.environ.get('SLURM_PARTITION'))
		for name in (given or '').split(','):
			if not name:
				continue
			self.calls['scontrol'] += 1
			try:
				res = subprocess.run(['scontrol', 'show', 'partition', name], stdin=subprocess.DEVNULL
					, capture_output=True, text=True, timeout=_SLURM_CALL_TIMEOUT)
			except (OSError, subprocess.SubprocessError):
				return
			said = (res.stdout + res.stderr).strip()
			if res.returncode and said.endswith('not found'):  # "Partition <name> not found"
				raise ValueError('{} must name partitions of the Slurm cluster, not {!r}: {}'.format(source, given, said))

	def host(self, job):
		return job.node

	# --- Starting ---------------------------------------------------------------------------------------

	def reserved(self, job):
		# A job's own memlim only: the pool's memlimit is what the jobs in flight may request together, not
		# a share for each (a client's memlimit of a machine's size would make every job ask for too much)
		mem = job.memlim
		if not mem and self._alloc and self.pool is not None:
			# A step without --mem takes all the allocation's memory: the others would wait for it
			pernode = os.environ.get('SLURM_MEM_PER_NODE', '')
			mem = int(pernode) / 1024. / self.slots if pernode.isdigit() else 0.
		return mem

	def _command(self, job, name, args):
		"""The srun command line of a job"""
		cmd = [self._srun, '-n1', '-N1', '--job-name=' + name, '--export=ALL']
		if self._alloc:
			cmd.append('--exact')
		for opt, val in (('--partition', self.partition), ('--account', self.account), ('--qos', self.qos)):
			if val:
				cmd.append('{}={}'.format(opt, val))
		mem = self.reserved(job)
		if mem:
			cmd.append('--mem={}M'.format(max(1, math.ceil(mem * 1024))))
		if job.timeout:
			cmd.append('--time={}'.format(math.ceil(job.timeout / 60) + _SLURM_TIME_MARGIN))
		afnmask = self.afnmask
		if afnmask is not None:
			cmd.append('--cpus-per-task={}'.format(afnmask.afnstep))
			if not job._omitafn:
				cmd.append('--cpu-bind=cores')
		cmd.append('--chdir=' + os.path.abspath(job.workdir or os.getcwd()))
		cmd.extend(self.options)
		cmd.extend(args)
		return cmd

	def spawn(self, job, args, kwargs, cpus):
		name = '{}.{}.{}'.format(self._prefix, next(self._seq), re.sub(r'[^\w.+-]', '_', job.name)[:40])
		env = kwargs['env']
		env[b'SLURM_EXIT_ERROR'] = env[b'SLURM_EXIT_IMMEDIATE'] = str(_SLURM_EXIT_ERROR).encode()
		if not self._alloc:  # Not a step of an allocation this process happened to inherit
			env.pop(b'SLURM_JOB_ID', None)
			env.pop(b'SLURM_JOBID', None)
		job.slurmid = job.node = None
		job._run.launch = _SlurmRun(name)
		# The local cwd is the workdir too: a missing one fails here, as for a local job (on the node,
		# Slurm would run the job in /tmp instead); srun itself is not pinned: it only talks to the cluster
		proc = subprocess.Popen(self._command(job, name, args), **dict(kwargs, executable=self._srun, env=env))
		self._named[name] = job
		self._running.add(job)
		_guard('srun', proc.pid)  # Until its id is known, the guardian can only ask srun itself
		now = time.perf_counter()
		self._pollperiod = _SLURM_PERIOD
		self._pollat = min(self._pollat or float('inf'), max(self._polled + _SLURM_PERIOD, now + 0.2))
		return proc

	def runsince(self, job):
		srun = job._run.launch
		if srun.pending:
			return None
		return srun.start if srun.start is not None else job.tstart

	# --- Stopping ---------------------------------------------------------------------------------------

	def signal(self, jobs, sig):
		if sig not in (signal.SIGTERM, signal.SIGKILL, signal.SIGINT):
			self._scancel([job for job in jobs if job.slurmid], '--signal={}'.format(signal.Signals(sig).name[3:]))
			return
		# A cancel is final (TERM, KillWait, KILL by Slurm): the pool's repeated requests add nothing
		fresh = [job for job in jobs if job in self._running and job not in self._cancel and not job._run.launch.cancelled]
		if not fresh:
			return
		if any(job.slurmid is None for job in fresh):
			self._poll(time.perf_counter(), fresh)  # One squeue for their ids
		known = [job for job in fresh if job.slurmid is not None]
		self._cancel.update(job for job in fresh if job.slurmid is None)  # Cancelled once the poll finds them
		self._scancel(known)

	def _scancel(self, jobs, *opts):
		"""One scancel for the ids of jobs"""
		if not jobs:
			return
		for job in jobs:
			job._run.launch.cancelled = not opts
		self._call(['scancel'] + list(opts) + [job.slurmid for job in jobs])

	# --- Ending -----------------------------------------------------------------------------------------

	def reaped(self, job, status, rusage):
		self._running.discard(job)
		self._cancel.discard(job)
		_unguard('srun', job.proc.pid)  # Its id's record stays until Slurm's record of the job is final
		if self._acctoff is not None:
			self._finish(job, None, None)
			return True
		now = time.perf_counter()
		if not self._settling:
			self._acctat = max(self._acctat, now + _SLURM_ACCT_DELAY)
		self._settling[job] = now
		if job.slurmid is None:  # Its id is learnt (or its absence: Slurm refused it) by the next poll
			self._pollat = min(self._pollat or float('inf'), max(self._polled + _SLURM_PERIOD, now))
		return False

	def collect(self):
		now = time.perf_counter()
		done = []
		if self._pollat is not None and now >= self._pollat:
			done.extend(self._poll(now))
		if (self._settling or self._sacct is not None) and now >= self._acctat:
			done.extend(self._account(now))
		if self._acctoff is not None:  # Found out just now: the figures will never come
			for job in list(self._settling):
				self._finish(job, None, None)
				done.append(job)
		if self._strays and now >= self._strayat:
			self._checkStrays(now)
		nextat = [self._pollat] if self._pollat is not None else []
		if self._settling or self._sacct is not None:
			nextat.append(self._acctat)
		if self._strays:
			nextat.append(self._strayat)
		return done, min(nextat) if nextat else None

	def _poll(self, now, jobs=None):
		"""One squeue for the jobs (default: all in flight) whose id or start is unknown: learn them,
		cancel those the pool stops meanwhile; return the jobs found to have never become Slurm jobs"""
		self._polled = now
		self._pollat = None
		if jobs is None:
			jobs = [job for job in self._named.values() if job.slurmid is None or (job._run.launch.start is None
				and job in self._running)]
		if not jobs:
			return []
		if self._alloc:  # Steps: squeue lists the running ones only
			lines = self._call(['squeue', '-h', '-s', '-j', self._alloc, '-o', '%i|%j|%N'])
		else:
			lines = self._call(['squeue', '-h', '-t', 'all', '--name=' + ','.join(job._run.launch.name for job in jobs)
				, '-o', '%i|%j|%N|%T|%S'])
		learnt = False
		found = set()
		for line in lines or ():
			fields = line.split('|')
			job = self._named.get(fields[1]) if len(fields) >= 3 else None
			if job is None:
				continue
			found.add(job)
			state = fields[3] if len(fields) > 3 else 'RUNNING'
			if job.slurmid is None:
				learnt = True
				job.slurmid = fields[0]
				if job in self._running:
					self._guardId(job)
			if fields[2] not in _SLURM_NOTNODE:
				job.node = fields[2]
			srun = job._run.launch
			srun.pending = state in ('PENDING', 'CONFIGURING', 'REQUEUED')
			if srun.start is None and not srun.pending:
				learnt = True
				epoch = _slurmEpoch(fields[4]) if len(fields) > 4 else None
				since = epoch - _CLOCK_ORIGIN if epoch is not None else now
				srun.start = min(max(since, job._run.tspawn), now)
		self._scancel([job for job in self._cancel if job.slurmid is not None])
		self._cancel = {job for job in self._cancel if job.slurmid is None}
		# A job whose srun exited, not listed by squeue -t all (which keeps ended jobs for MinJobAge), or
		# with srun's own error code while the controller does not answer: it never became a job
		never = [] if self._alloc else [job for job in jobs if job in self._settling and job not in found and (
			lines is not None or job.proc.returncode == _SLURM_EXIT_ERROR)]
		for job in never:
			self._finish(job, None, None)
		self._pollperiod = _SLURM_PERIOD if learnt else min(_SLURM_PERIOD_MAX, self._pollperiod * 2)
		if any(job.slurmid is None or (job._run.launch.start is None and job in self._running)
		for job in self._named.values()):
			self._pollat = now + self._pollperiod
		return never

	def _account(self, now):
		"""One sacct for the jobs whose srun exited, in the background (it takes ~0.1 s, the next job's start
		does not wait for it): started by one call, read by a later one; return the jobs whose figures are
		final (or overdue)"""
		records = {}
		if self._sacct is None:
			ids = [self._alloc] if self._alloc else [job.slurmid for job in self._settling if job.slurmid is not None]
			if ids:  # The steps of an allocation are found by their names
				self._sacct = self._startCall(['sacct', '-n', '-P', '-j', ','.join(ids), '--format='
					+ _SLURM_SACCT_FORMAT])
				if self._sacct is not None:
					self._acctat = now + _SLURM_CALL_CHECK
					return []
			self._acctat = now + _SLURM_PERIOD
		elif self._sacct[0].poll() is None and now < self._sacct[4] + _SLURM_CALL_TIMEOUT:
			self._acctat = now + _SLURM_CALL_CHECK
			return []
		else:
			tstart = self._sacct[4]
			lines = self._readCall(self._sacct, acct=True)
			self._sacct = None
			self._acctat = max(now, tstart + _SLURM_PERIOD)
			for line in lines or ():
				fields = line.split('|')
				if len(fields) == 10:
					records[fields[0]] = fields
		done = []
		steps = {rec[1]: rec for rec in records.values()} if self._alloc else None
		for job, ended in list(self._settling.items()):
			jrec = srec = None
			if steps is not None:
				jrec = srec = steps.get(job._run.launch.name)
				if srec is not None and job.slurmid is None:
					job.slurmid = srec[0]
				# A step Slurm refused (srun's own error code) is never recorded
				final = (srec[2].split()[0] not in _SLURM_ACTIVE if srec is not None
					else job.proc.returncode == _SLURM_EXIT_ERROR)
			elif job.slurmid is not None:
				jrec = records.get(job.slurmid)
				srec = records.get(job.slurmid + '.0')
				# Final: the job line, and the step line when the job ran (the job line may come first)
				final = jrec is not None and jrec[2].split()[0] not in _SLURM_ACTIVE and (
					srec[2].split()[0] not in _SLURM_ACTIVE if srec is not None else jrec[8] in _SLURM_NOTNODE)
			else:
				final = False  # Its id comes from the next poll
			if final or now - ended >= _SLURM_ACCT_BOUND:
				self._finish(job, jrec if final else None, srec if final else None)
				done.append(job)
		return done

	def _finish(self, job, jrec, srec):
		"""Set a job's figures and outcome from its sacct lines (None: unknown) and forget it"""
		srun = job._run.launch
		self._settling.pop(job, None)
		self._named.pop(srun.name, None)
		rcode = job.proc.returncode
		state = jrec[2].split()[0] if jrec is not None else None
		self._release(job, state is None or state in _SLURM_ACTIVE)
		if jrec is not None and jrec[8] not in _SLURM_NOTNODE:
			job.node = jrec[8]
		if srec is not None:
			job.accounting = self.accounting
			# Its run, not its wait in the queue: from its step's start that Slurm recorded (in whole seconds:
			# up to 1 s early), not from squeue's polls, which may never see it start
			start = _slurmEpoch(srec[9])
			if start is not None:
				end = job._run.tspawn + job.wtime
				job.wtime = end - min(max(start - _CLOCK_ORIGIN, job._run.tspawn), end)
			job.utime = _slurmSeconds(srec[5])
			job.stime = _slurmSeconds(srec[6])
			job.rssmax = _slurmGigabytes(srec[7])
			code, _, sig = srec[3].partition(':')
			if sig.isdigit() and int(sig) and state != 'OUT_OF_MEMORY':
				job.proc.returncode = -int(sig)  # Killed by a signal, as a local job's code says it
			elif code.isdigit() and state not in _SLURM_REASONS:
				job.proc.returncode = int(code)
		if job.reason is not None:
			return  # The pool stopped it: its reason stands (Slurm says CANCELLED)
		reason = _SLURM_REASONS.get(state)
		if reason == 'cancelled' and job.memlim and job.rssmax and job.rssmax >= job.memlim * 0.9:
			reason = 'memory limit'  # Killed by Slurm's sampling memory enforcement (OverMemoryKill)
		if srec is None and rcode == _SLURM_EXIT_ERROR and reason is None:
			reason = 'start failure'
			_warnmsg('ERROR{}, Slurm refused the job "{}" (srun exit code {}): srun says why on its stderr'.format(
				_nameSuffix(self.pool.name if self.pool else None), job.name, rcode))
		job.reason = reason

	def sweep(self):
		if self._running:
			if any(job.slurmid is None for job in self._running):
				self._poll(time.perf_counter(), list(self._running))
			self._scancel([job for job in self._running if job.slurmid is not None])
		for job in self._settling:  # The pool completes them without their figures
			self._release(job, True)
		self._settling.clear()
		if self._sacct is not None:
			self._readCall(self._sacct)
			self._sacct = None
		self._named = {name: job for name, job in self._named.items() if job in self._running}

	# --- Slurm commands ---------------------------------------------------------------------------------

	def _guardId(self, job):
		"""Tell the guardian the job's id (with the SLURM_CONF of its cluster): it cancels the job if this
		process dies"""
		conf = os.environ.get('SLURM_CONF')
		job._run.launch.guard = job.slurmid + (' ' + conf if conf else '')
		_guard('slurm', job._run.launch.guard)

	def _release(self, job, unsure):
		"""The pool is done with a job whose srun exited: its id's guardian record goes, unless Slurm may
		still run it (unsure: its record is not final): it is a stray then, checked until Slurm ended it"""
		if unsure and job.slurmid is not None and not self._alloc:  # A step ends with its srun: the allocation is the user's
			self._strays[job.slurmid] = (job._run.launch.name, job._run.launch.guard)
			if self._straycall is None:
				self._strayat = time.perf_counter()
		elif job._run.launch.guard is not None:
			_unguard('slurm', job._run.launch.guard)

	def _checkStrays(self, now, wait=False):
		"""One squeue for the strays in the background (wait: to its end), then one scancel for those Slurm
		still runs; forget those it ended (their guardian records go). While the controller does not answer,
		they are checked again every _SLURM_PERIOD (and the guardian cancels them if this process dies)"""
		if self._straycall is None:
			asked = dict(self._strays)  # Strays found meanwhile wait for the next call
			call = self._startCall(['squeue', '-h', '-t', 'all', '--name=' + ','.join(sorted({name for name, _
				in asked.values()})), '-o', '%i|%T'])
			if call is None:
				self._strayat = now + _SLURM_PERIOD
				return
			self._straycall = (call, asked)
		call, asked = self._straycall
		if not wait and call[0].poll() is None and now < call[4] + _SLURM_CALL_TIMEOUT:
			self._strayat = now + _SLURM_CALL_CHECK
			return
		self._straycall = None
		lines = self._readCall(call)
		self._strayat = time.perf_counter() + _SLURM_PERIOD
		if lines is None:  # The controller does not answer yet
			return
		active = {fields[0] for fields in (line.split('|') for line in lines) if len(fields) == 2
			and fields[0] in asked and fields[1] in _SLURM_ACTIVE and fields[1] != 'COMPLETING'}
		kept = active if active and self._call(['scancel'] + sorted(active)) is None else ()
		for sid, (_, guard) in asked.items():
			if sid not in kept:
				self._strays.pop(sid, None)
				if guard is not None:
					_unguard('slurm', guard)

	def idle(self):
		if self._strays:  # The pool has no more work: no later collect() checks them
			self._checkStrays(time.perf_counter(), wait=True)

	close = idle

	def _call(self, args, acct=False):
		"""Run a Slurm command to its end (counted); return its output lines, None when it failed"""
		call = self._startCall(args)
		return self._readCall(call, acct) if call is not None else None

	def _startCall(self, args):
		"""Start a Slurm command (counted), its outputs into files (no pipe to drain meanwhile): the call
		(Popen, stdout file, stderr file, args, perf_counter() of its start), None when it did not start"""
		self.calls[args[0]] += 1
		fout, ferr = tempfile.TemporaryFile(), tempfile.TemporaryFile()
		try:
			return (subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=fout, stderr=ferr), fout, ferr, args
				, time.perf_counter())
		except OSError as err:
			fout.close()
			ferr.close()
			self._callFailed(args, '-', str(err))
			return None

	def _readCall(self, call, acct=False):
		"""The output lines of a call, waiting for its end (up to _SLURM_CALL_TIMEOUT after its start);
		None when it failed

		acct: bool  - an sacct call: a cluster without accounting storage says so, once, and the pool stops
			waiting for figures
		"""
		proc, fout, ferr, args, tstart = call
		try:
			rcode = proc.wait(max(0., tstart + _SLURM_CALL_TIMEOUT - time.perf_counter()))
		except subprocess.TimeoutExpired:
			proc.kill()
			proc.wait()
			rcode = 'timed out'
		with fout, ferr:
			fout.seek(0)
			ferr.seek(0)
			out, err = fout.read().decode('utf-8', 'replace'), ferr.read().decode('utf-8', 'replace').strip()
		if rcode:
			if acct and 'accounting storage is disabled' in err:
				self._acctoff = err
				_warnmsg('WARNING{}, Slurm keeps no accounting ({}): jobs complete without utime, stime, rssmax and'
					" their Slurm state (wtime: srun's, with any wait in the queue; the outcome: srun's exit code)".format(
					_nameSuffix(self.pool.name if self.pool else None), err))
			else:
				self._callFailed(args, rcode, err)
			return None
		self._failing.discard(args[0])
		return out.splitlines()

	def _callFailed(self, args, rcode, err):
		"""Report a failed Slurm command once until it works again (scancel of an ended job is fine)"""
		if args[0] != 'scancel' and args[0] not in self._failing:
			self._failing.add(args[0])
			_warnmsg('WARNING, {} failed ({}): {}; retried'.format(args[0], rcode, err))


# PYEXPOOL_SLURM_NODES: the nodes of the allocation that PYEXPOOL_LAUNCHER=slurm-pernode obtains outside one
_SLURM_NODESENV = 'PYEXPOOL_SLURM_NODES'


def _slurmNodes():
	"""The number of nodes PYEXPOOL_SLURM_NODES gives, None when unset or empty; ValueError naming it"""
	text = os.environ.get(_SLURM_NODESENV) or None
	if text is not None and not re.fullmatch(r'[1-9][0-9]*', text):
		raise ValueError('{} must be a number of nodes >= 1 (or unset), not {!r}'.format(_SLURM_NODESENV, text))
	return text and int(text)


# An srun per job; or one per node (the allocation's, or one of PYEXPOOL_SLURM_NODES nodes obtained for the
# pool). Partition, account and QOS: srun reads SLURM_PARTITION, SLURM_ACCOUNT and SLURM_QOS itself
_LAUNCHERS.update({'slurm': _cgroupless(SlurmLauncher)
	, 'slurm-pernode': _cgroupless(lambda: SlurmLauncher(pernode=True, nodes=_slurmNodes()))})


# === Slurm per node: one agent per node of an allocation runs the jobs there ===========================
# SlurmLauncher(pernode=True) (this class): the pool holds one allocation (the one it runs in, else one it
# makes with `salloc --no-shell`, released when the pool terminates or is gone) and starts one long-lived
# step per node, `srun -N1 -n1 -w <node> --unbuffered python3 <this file> --agent`: a node agent. So Slurm
# sees one allocation and one step per node, whatever the number of jobs. Pool and agents talk only
# through the steps' standard input and output, which srun forwards (no socket, port or server of ours):
# one JSON object per line,
#   pool -> agent:  {"op": "run", "id", "name", "args", "cwd", "memlim", "memkind", "out", "err", "afn",
#                    "slot", "grace"}  (out/err: {"path": P} written on the node, "null", "pipe": streamed
#                    back, "stdout": err merged into out);  {"op": "sig", "id", "sig"};  the end of its
#                    stdin: stop every job and exit
#   agent -> pool:  {"op": "hello", "node", "pid", "cpus", "mem", "step"};  {"op": "start", "id", "pid"} (sent
#                   with the next message, or after _AGENT_HOLD; none when the job ended meanwhile);
#                   {"op": "out", "id", "fd", "data"};  {"op": "end", "id", "code", "wtime", "utime",
#                    "stime", "rssmax", "accounting", "reason", "error"}
# The agent is a small loop around the local launcher of its node (a cgroup per job where usable, else
# process groups, job markers and its own guardian), with pidfds and pipes in one select(); it samples
# memory only for a job's memlim where the kernel does not hold the job to it. The pool keeps the rest:
# timeouts (its deadlines send "sig"), chains, tasks, callbacks, reports. Its loop selects on the agents'
# stdout pipes (local descriptors) like on a local job's pidfd.

# Seconds that the agents have to say hello after their steps were asked for (srun waits for the step)
_AGENT_START_BOUND = 60.
# Seconds that an agent holds a job's "start" message back, to send it with the next one
_AGENT_HOLD = 0.05
# Seconds that the agents have to end after their stdin closed, before their sruns are told to end the steps
_AGENT_STOP_WAIT = 5.


class _NodeLost(OSError):
	"""No node is left to run a job: the job fails with this reason"""

	def __init__(self, reason):
		super().__init__(errno.EHOSTDOWN, 'no node of the Slurm allocation is left ({})'.format(reason))
		self.reason = reason


class _RemoteProc(object):
	"""The pool's stand-in for a job's process on a node: job.proc"""
	__slots__ = ('pid', 'returncode', 'stdout', 'stderr', 'args')

	def __init__(self, args):
		self.args = args
		self.pid = None  # Its pid on its node, once the agent started it
		self.returncode = None
		self.stdout = self.stderr = None  # Its outputs come through the agent


class _Agent(object):
	"""The pool's side of a node agent: its srun, its pipes, its slots and its running jobs"""
	__slots__ = ('node', 'srun', 'infd', 'outfd', 'rest', 'cpus', 'mem', 'step', 'pid', 'free', 'slots', 'used'
		, 'runs', 'alive', 'guard')

	def __init__(self, node, srun):
		self.node = node
		self.srun = srun  # Popen of its srun client
		self.infd = srun.stdin.fileno()
		self.outfd = srun.stdout.fileno()
		self.rest = b''  # An incomplete line of its output
		self.cpus = 0  # CPUs of its step (its hello)
		self.mem = 0.  # GB of its node's allocated memory
		self.step = None  # '<job>.<step>' of its step
		self.pid = None  # Its pid on its node
		self.free = []  # Heap of its free slot indices
		self.slots = 0  # Its slots: its CPUs, capped by the pool's wksnum
		self.used = 0.  # GB reserved by its running jobs
		self.runs = {}  # Run id -> _Run of its running jobs
		self.alive = False  # It said hello and takes jobs
		self.guard = None  # Its step's guardian record


class _NodeRun(object):
	"""SlurmNodesLauncher's state of a run (_Run.launch)"""
	__slots__ = ('rid', 'agent', 'slot', 'reserve', 'sinks', 'end')

	def __init__(self, rid, agent, slot, reserve, sinks):
		self.rid = rid
		self.agent = agent
		self.slot = slot  # Its slot on its node
		self.reserve = reserve  # GB reserved on its node
		self.sinks = sinks  # {1: , 2: } where its streamed output goes: a list of chunks (PIPE) or a descriptor
		self.end = None  # The agent's "end" message


class SlurmNodesLauncher(SlurmLauncher):
	"""Jobs run on the nodes of one Slurm allocation through one agent per node (SlurmLauncher(pernode=True))

	Inside an allocation (SLURM_JOB_ID set) it uses that allocation's nodes (the first `nodes` when given);
	outside one it asks for `nodes` whole nodes (salloc --no-shell -N nodes --exclusive --no-kill, with
	partition, account, qos and options) when the pool is made, and releases them when the pool terminates
	or is gone (the guardian cancels it if this process dies). Each node's slots are the CPUs of its step,
	capped by the pool's wksnum (which stays the total); the pool's memlimit is a per-node budget capped by
	the node's allocated memory, into which the jobs on a node fit by their memlim (a job without one
	reserves memlimit / the node's slots); afnmask's step pins the jobs to the CPUs of their node's slots.
	job.node names the node; job.accounting says where the figures came from on it: 'cgroup' or 'wait4'.
	A node whose agent or step dies: its running jobs run again once elsewhere, then fail as 'node failure';
	the allocation cancelled: every job ends as 'cancelled'.
	"""
	accounting = None  # Per job, from its node's launcher
	columns = ('node',)
	reserves = True  # memlimit is the nodes' memory, not this machine's
	remote = True

	def __init__(self, partition=None, account=None, qos=None, options=(), pernode=True, nodes=None):
		"""nodes: int  - nodes of the allocation made outside one (None: 1), or used of the one it runs in
		(None: all); options: further salloc options (of the allocation it makes)"""
		super().__init__(partition, account, qos, options)
		if nodes is not None and (isinstance(nodes, bool) or not isinstance(nodes, int)):
			raise TypeError('nodes must be an int or None, not {!r}'.format(nodes))
		if nodes is not None and nodes < 1:
			raise ValueError('nodes must be >= 1, not {!r}'.format(nodes))
		self.nodes = nodes
		self._agents = []  # _Agent of every node, in the allocation's order
		self._byfd = {}  # stdout descriptor -> _Agent
		self._ids = itertools.count(1)
		self._made = None  # Guardian record of the allocation it made ('<id> [<SLURM_CONF>]'), None: the user's
		self._jobid = None  # The allocation's id
		self._lost = None  # Why no node is left ('node failure', 'cancelled'), None: nodes are there
		self._wksnum = 1

	def attach(self, pool, prefix, slots, afnmask):
		super().attach(pool, prefix, slots, afnmask)
		self._wksnum = slots
		self._startAgents()

	def __repr__(self):
		return '<SlurmNodesLauncher {}>'.format(', '.join(agent.node for agent in self._agents if agent.alive) or 'no node')

	# --- The allocation and its agents ----------------------------------------------------------------

	def _slurmOpts(self):
		return ['{}={}'.format(opt, val) for opt, val in (('--partition', self.partition), ('--account', self.account)
			, ('--qos', self.qos)) if val]

	def _startAgents(self):
		"""Get the allocation (unless the pool runs in one) and start an agent on each of its nodes; raises
		RuntimeError when Slurm refuses the allocation or no agent starts"""
		if self._alloc:
			jobid = self._alloc
			nodelist = os.environ.get('SLURM_JOB_NODELIST') or os.environ.get('SLURM_NODELIST', '')
		else:
			jobid = self._allocate()
			lines = self._call(['squeue', '-h', '-j', jobid, '-o', '%N'])
			nodelist = lines[0].strip() if lines else ''
		self._jobid = jobid
		nodes = self._call(['scontrol', 'show', 'hostnames', nodelist]) if nodelist else None
		if not nodes:
			self._releaseNodes()
			raise RuntimeError('the nodes of the Slurm allocation {} are unknown (node list {!r})'.format(jobid, nodelist))
		if self.nodes and self._alloc:
			nodes = nodes[:self.nodes]
		env = dict(os.environ)
		env.pop('SLURM_JOBID', None)
		env['SLURM_JOB_ID'] = jobid
		for node in nodes:
			cmd = [self._srun, '--jobid=' + jobid, '-N1', '-n1', '-w', node, '--unbuffered', '--export=ALL'
				, '--job-name={}.agent'.format(self._prefix), '--chdir=' + os.getcwd()]
			if self._alloc:
				cmd.append('--overlap')  # Beside the user's steps (or the step the pool itself runs in)
			cmd += [sys.executable or 'python3', '-u', os.path.abspath(__file__), '--agent']
			self.calls['srun'] += 1
			try:
				srun = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env
					, start_new_session=True)  # The terminal's Ctrl-C is the pool's to handle, not srun's
			except OSError as err:
				self._releaseNodes()
				raise RuntimeError('the node agents could not start: {}'.format(err))
			_guard('srun', srun.pid)  # A SIGTERM to srun alone ends its step
			agent = _Agent(node, srun)
			os.set_blocking(agent.outfd, False)
			self._agents.append(agent)
			self._byfd[agent.outfd] = agent
		# Their hellos: a step starts once the controller created it
		deadline = time.perf_counter() + _AGENT_START_BOUND
		with selectors.DefaultSelector() as sel:
			for agent in self._agents:
				sel.register(agent.outfd, selectors.EVENT_READ, agent)
			while sel.get_map() and time.perf_counter() < deadline:
				for key, _ in sel.select(deadline - time.perf_counter()):
					agent = key.data
					if not self._read(agent)[1] or agent.alive:
						sel.unregister(agent.outfd)
		pool = self.pool
		for agent in list(self._agents):
			if agent.alive and pool is not None:
				pool._watchFd(agent.outfd)
			elif not agent.alive:
				self._drop(agent)
		if not any(agent.alive for agent in self._agents):
			self._releaseNodes()
			raise RuntimeError('no node agent of the Slurm allocation {} started (nodes {}): srun says why on'
				' stderr'.format(jobid, ', '.join(nodes)))

	def _allocate(self):
		"""salloc the nodes; return the allocation's id, raises RuntimeError with Slurm's words"""
		cmd = ['salloc', '--no-shell', '-N', str(self.nodes or 1), '--exclusive', '--no-kill'
			, '--job-name={}.nodes'.format(self._prefix)] + self._slurmOpts() + list(self.options)
		self.calls['salloc'] += 1
		env = dict(os.environ)
		for var in ('SLURM_JOB_ID', 'SLURM_JOBID'):
			env.pop(var, None)
		try:
			done = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
		except OSError as err:
			raise RuntimeError('salloc could not run: {}'.format(err))
		err = done.stderr.decode('utf-8', 'replace')
		found = re.search(r'Granted job allocation (\d+)', err)
		if done.returncode or found is None:
			if found is not None:
				self._call(['scancel', found.group(1)])
			raise RuntimeError('Slurm refused the allocation of {} node(s) (salloc exit code {}): {}'.format(
				self.nodes or 1, done.returncode, err.strip()))
		conf = os.environ.get('SLURM_CONF')
		self._made = found.group(1) + (' ' + conf if conf else '')
		_guard('slurm', self._made)
		return found.group(1)

	def _drop(self, agent):
		"""Stop watching an agent that ended (or never started): its descriptors, records and srun"""
		agent.alive = False
		pool = self.pool
		if pool is not None and pool._sel is not None:
			pool._watchFd(agent.outfd, False)
		self._byfd.pop(agent.outfd, None)
		for stream in (agent.srun.stdin, agent.srun.stdout):
			try:
				stream.close()
			except OSError:
				pass
		try:
			agent.srun.wait(_AGENT_STOP_WAIT)
		except subprocess.TimeoutExpired:
			agent.srun.terminate()  # srun alone (its own session): it ends its step
			try:
				agent.srun.wait(_AGENT_STOP_WAIT)
			except subprocess.TimeoutExpired:
				pass  # Left to the guardian
		if agent.srun.returncode is not None:
			_unguard('srun', agent.srun.pid)
		if agent.guard is not None:
			_unguard('slurm', agent.guard)
			agent.guard = None
		if agent in self._agents:
			self._agents.remove(agent)

	def _releaseNodes(self):
		"""End the agents (the end of their stdin: they stop their jobs and exit) and the allocation it made"""
		for agent in self._agents:
			try:
				agent.srun.stdin.close()
			except OSError:
				pass
		for agent in list(self._agents):
			self._drop(agent)
		if self._made is not None:
			self._call(['scancel', self._made.split(' ')[0]])
			_unguard('slurm', self._made)
			self._made = None
		self._jobid = None
		self._lost = None

	def idle(self):
		pool = self.pool
		if pool is None or not pool.alive:  # Terminated: the nodes go back (a reused pool gets them again)
			self._releaseNodes()

	def close(self):
		self._releaseNodes()

	def sweep(self):
		pass  # The agents stop what their jobs leave (their local launchers)

	# --- Messages ---------------------------------------------------------------------------------------

	def _send(self, agent, msg):
		"""Write a message to an agent; False when it is gone"""
		try:
			_writeAll(agent.infd, (json.dumps(msg, separators=(',', ':')) + '\n').encode())
			return True
		except OSError:  # Its step ended: the end of its output follows
			agent.alive = False
			return False

	def _read(self, agent):
		"""Read what an agent said; return (the runs that ended, False at the end of its output)"""
		chunks = []
		more = _drainPipe(agent.outfd, chunks)
		data = agent.rest + b''.join(chunks)
		*lines, agent.rest = data.split(b'\n')
		ended = []
		for line in lines:
			try:
				msg = json.loads(line)
				op = msg['op']
			except (ValueError, KeyError, TypeError):
				_warnmsg('WARNING, the agent on {} said: {}'.format(agent.node, line.decode('utf-8', 'replace')))
				continue
			if op == 'hello':
				self._hello(agent, msg)
				continue
			run = agent.runs.get(msg.get('id'))
			if run is None:
				continue
			if op == 'start':
				run.proc.pid = msg.get('pid')
			elif op == 'out':
				sink = run.launch.sinks.get(msg.get('fd'))
				data = msg.get('data', '').encode('utf-8', 'surrogateescape')
				if isinstance(sink, list):
					sink.append(data)
				elif sink is not None:
					try:
						_writeAll(sink, data)
					except OSError:  # The pool's console is gone: as a local job's write would fail
						pass
			elif op == 'end':
				run.launch.end = msg
				code = msg.get('code')
				run.proc.returncode = code if code is not None else -1
				self._free(run)
				ended.append(run)
		return ended, more

	def _hello(self, agent, msg):
		agent.cpus = max(1, int(msg.get('cpus') or 1))
		agent.mem = float(msg.get('mem') or 0.)
		agent.step = msg.get('step')
		agent.pid = msg.get('pid')
		agent.slots = min(agent.cpus, self._wksnum)
		agent.free = list(range(agent.slots))
		agent.alive = True
		if agent.step and self._alloc:  # Its step in the user's allocation: cancelled if this process dies
			conf = os.environ.get('SLURM_CONF')
			agent.guard = agent.step + (' ' + conf if conf else '')
			_guard('slurm', agent.guard)

	def ready(self, fd):
		agent = self._byfd.get(fd)
		if agent is None:
			return ()
		ended, more = self._read(agent)
		if not more:  # Its output ended: the agent, its step or its node is gone
			self._lose(agent, ended)
		return ended

	def _lose(self, agent, ended):
		"""An agent is gone: its running jobs run again once on the other nodes, else fail; when the
		allocation itself ended (scancel), every job ends as 'cancelled'"""
		self._drop(agent)
		state = self._call(['squeue', '-h', '-j', self._jobid, '-o', '%T']) if self._jobid else None
		cancelled = state is not None and (not state or state[0].strip() != 'RUNNING')
		if cancelled:
			reason = 'cancelled'
			_warnmsg('WARNING, the Slurm allocation {} of the pool ended ({}): its jobs end'.format(self._jobid
				, state[0].strip() if state else 'gone'))
			for other in list(self._agents):
				self._drop(other)
				ended.extend(self._orphans(other, reason))
		else:
			reason = 'node failure'
			_warnmsg('WARNING, the agent on the node {} is gone (srun exit code {}): its {} running jobs run again'
				' elsewhere'.format(agent.node, agent.srun.returncode, len(agent.runs)))
		ended.extend(self._orphans(agent, reason))
		if not any(other.alive for other in self._agents):
			self._lost = reason

	def _orphans(self, agent, reason):
		"""The running jobs of a gone agent: each one run again once (when another node is there), else failed"""
		runs = list(agent.runs.values())
		others = any(other.alive for other in self._agents)
		for run in runs:
			job = run.job
			run.proc.returncode = -1
			self._free(run)
			if job.reason is not None:
				continue  # The pool stopped it meanwhile: its reason stands
			if reason == 'node failure' and others and not getattr(job, '_nodefailed', False):
				job._nodefailed = True
				job._restarting = True  # Queued again (_postpone) rather than completed
			else:
				job.reason = reason
		return runs

	def _free(self, run):
		"""Give a run's slot and memory back to its node"""
		nrun = run.launch
		agent = nrun.agent
		if agent.runs.pop(nrun.rid, None) is not None:
			heapq.heappush(agent.free, nrun.slot)
			agent.used -= nrun.reserve

	# --- Starting, stopping, ending ---------------------------------------------------------------------

	def _reserve(self, job, agent):
		"""GB a job reserves on a node: its memlim, else a share of the node's budget"""
		pool = self.pool
		return job.memlim or (self._budget(agent) / agent.slots if pool is not None and pool.memlimit else 0.)

	def _budget(self, agent):
		"""GB the jobs on a node may reserve together: the pool's memlimit capped by the node's memory"""
		pool = self.pool
		limit = pool.memlimit if pool is not None and pool.memlimit else float('inf')
		return min(limit, agent.mem) if agent.mem else limit

	def _place(self, job):
		"""The node for a job: the one with the most free slots where its memory fits, None: none now"""
		best = None
		for agent in self._agents:
			if agent.alive and agent.free and (best is None or len(agent.free) > len(best.free)) and (
			agent.used + self._reserve(job, agent) <= self._budget(agent) + 1e-9):
				best = agent
		return best

	def room(self, job):
		if not self._agents and self._lost is None:
			self._startAgents()  # A pool terminated and used again
		return self._lost is not None or self._place(job) is not None

	def reserved(self, job):
		return job.memlim  # Not sampled here: its node's agent holds it to its memlim

	def memoryKilled(self, job):
		return None

	def runsince(self, job):
		return job.tstart

	def spawn(self, job, args, kwargs, cpus):
		while True:
			agent = self._place(job) if self._lost is None else None
			if agent is None:
				raise _NodeLost(self._lost or 'node failure')
			rid = next(self._ids)
			sinks = {}
			out = self._channel(kwargs['stdout'], 1, sinks)
			err = self._channel(kwargs['stderr'], 2, sinks)
			afn = self.afnmask.afnstep if self.afnmask is not None and not job._omitafn else 0
			slot = agent.free[0]
			msg = {'op': 'run', 'id': rid, 'name': job.name, 'args': [os.fsdecode(arg) for arg in args]
				, 'cwd': os.path.abspath(job.workdir) if job.workdir else None, 'memlim': job.memlim
				, 'memkind': job.memkind, 'out': out, 'err': err, 'afn': afn, 'slot': slot
				, 'grace': self.pool.killgrace if self.pool is not None else _KILL_GRACE}
			if self._send(agent, msg):
				break
		heapq.heappop(agent.free)
		reserve = self._reserve(job, agent)
		agent.used += reserve
		job._run.launch = _NodeRun(rid, agent, slot, reserve, sinks)
		agent.runs[rid] = job._run
		job.node = agent.node
		return _RemoteProc(args)

	@staticmethod
	def _channel(spec, fd, sinks):
		"""The agent's spec of an output channel; sinks gets where its streamed output goes here"""
		if isinstance(spec, str):
			return {'path': os.path.abspath(spec)}  # Written on the node (a shared file system)
		if spec == subprocess.DEVNULL:
			return 'null'
		if spec == subprocess.STDOUT:
			return 'stdout'
		if spec == subprocess.PIPE:
			sinks[fd] = []
		elif spec is None:
			sinks[fd] = fd  # Inherited: this process's own stdout / stderr
		elif isinstance(spec, int):
			sinks[fd] = spec
		else:
			try:
				sinks[fd] = spec.fileno()
			except (AttributeError, OSError, ValueError):  # e.g. a replaced sys.stdout without a descriptor
				sinks[fd] = fd
		return 'pipe'

	def signal(self, jobs, sig):
		for job in jobs:
			nrun = job._run.launch
			if nrun is not None and nrun.end is None and nrun.agent.alive:
				self._send(nrun.agent, {'op': 'sig', 'id': nrun.rid, 'sig': int(sig)})

	def reaped(self, job, status, rusage):
		nrun, job._run.launch = job._run.launch, None  # Its state goes with its run's end
		end = nrun.end or {}
		for key in ('wtime', 'utime', 'stime'):
			if end.get(key) is not None:
				setattr(job, key, end[key])
		job.rssmax = end.get('rssmax')
		job.accounting = end.get('accounting')
		job.proc.pid = end.get('pid', job.proc.pid)
		if job.reason is None and end.get('reason'):
			job.reason = end['reason']
		if end.get('error'):
			_warnmsg('ERROR{}, the job "{}" failed to start on {}: {}'.format(_nameSuffix(self.pool.name
				if self.pool else None), job.name, nrun.agent.node, end['error']))
		for fd, attr in ((1, 'pipedout'), (2, 'pipederr')):
			if isinstance(nrun.sinks.get(fd), list):
				setattr(job, attr, b''.join(nrun.sinks[fd]).decode('utf-8', 'replace'))
		if not job._restarting:
			job._nodefailed = False
		return True

	def collect(self):
		return (), None


def _stepFreezer(launcher):
	"""In a Slurm step with v1 cgroups the jobs get no freezer cgroup of their own: Slurm's proctrack/cgroup
	stops a step by signalling the processes of the step's freezer cgroup, not those of the cgroups made below
	it. When Slurm aborts the step (SIGKILL at once, e.g. a node taken out of the allocation whose slurmd comes
	back), the agent and its guardian die at once: the jobs, in the step's freezer cgroup, die with them.
	The agent stops a job by signalling the processes that the job's memory (or cpuacct) cgroup lists"""
	caps = getattr(launcher, 'caps', None)
	if caps is not None and caps.kill is not None and caps.kill.version == 'v1':
		launcher.caps = _CgroupCaps(caps.memory, caps.cpu, None) if caps.memory or caps.cpu else None


def _nodeAgent():
	"""A node agent (`python3 mpepool.py --agent`, a step started by SlurmNodesLauncher): runs the jobs that
	the pool sends on stdin with its node's local launcher, answers on stdout; ends with its stdin; returns
	the exit status"""
	# The protocol goes on its own descriptor; whatever else writes to stdout goes to stderr
	proto = os.dup(1)
	os.dup2(2, 1)
	_MESSAGES.configure(info=None)
	launcher = _LAUNCHERS[None](None)  # The node's default: a cgroup per job where usable (never PYEXPOOL_LAUNCHER,
	# which the agent inherits from the pool that asked for it)
	launcher.prefix = _processToken() + 'agent.'  # Its own guardian stops the jobs if the agent dies
	_stepFreezer(launcher)
	sel = selectors.DefaultSelector()
	outbox = bytearray()
	# The "start" messages wait (up to _AGENT_HOLD) to go with the next message: two small writes in a row on
	# Slurm's I/O connection wait for the first one's (delayed) TCP ack, 40 ms (Nagle's algorithm). A job
	# that ended meanwhile needs none: its "end" gives its pid (most short jobs: one message less each way)
	held = {}  # Run id -> pid of the started jobs whose "start" message waits
	heldat = [None]  # perf_counter() at which the held messages go anyway
	runs = {}  # Run id -> _Run of the running jobs
	deadlines = []  # Heap of (perf_counter, seq, action)
	seq = itertools.count()
	masks = {}  # afnstep -> AffinityMask of this node's CPUs
	programs = {}  # (program name, PATH) -> its path found in PATH (see _findProgram)
	watchmem = set()  # Runs whose memlim the agent enforces by sampling
	polled = set()  # Runs without a pidfd

	def send(msg):
		outbox.extend(json.dumps(msg, separators=(',', ':')).encode() + b'\n')

	def start(msg):
		rid = msg['id']
		specs = []
		for spec in (msg.get('out'), msg.get('err')):
			specs.append(spec['path'] if isinstance(spec, dict) else {'null': subprocess.DEVNULL
				, 'stdout': subprocess.STDOUT}.get(spec, subprocess.PIPE))
		try:
			job = Job(msg.get('name') or str(rid), workdir=msg.get('cwd'), args=msg['args']
				, memlim=msg.get('memlim') or 0., memkind=msg.get('memkind', 1), stdout=specs[0], stderr=specs[1])
		except (TypeError, ValueError) as err:
			send({'op': 'end', 'id': rid, 'code': None, 'reason': 'start failure', 'error': str(err)})
			return
		run = job._run = _Run(job, '{}{}.'.format(launcher.prefix, rid))
		run.launch = None
		_OUTPUTS.acquire(job)
		opened = {}
		try:
			run.stdout = _openChannel(job, job.stdout, opened)
			run.stderr = _openChannel(job, job.stderr, opened)
			afn = msg.get('afn')
			cpus = None
			if afn:
				mask = masks.get(afn) or masks.setdefault(afn, AffinityMask(afn))
				cpus = mask.cpus(msg.get('slot', 0) % len(mask)) if len(mask) else None
			args = list(job.args)
			kwargs = {'executable': _findProgram(args[0], programs), 'cwd': job.workdir, 'stdin': subprocess.DEVNULL, 'stdout': run.stdout
				, 'stderr': run.stderr, 'env': _environ(), 'start_new_session': True}
			run.tspawn = time.perf_counter()
			proc = launcher.spawn(job, args, kwargs, cpus)
		except Exception as err:  # The program, its workdir or its output could not be opened: a start failure
			_OUTPUTS.release(job)
			job._run = None  # No cycle left to the garbage collector (see _Run)
			send({'op': 'end', 'id': rid, 'code': None, 'reason': 'start failure', 'error': str(err)})
			return
		finally:
			for fout in opened.values():
				fout.close()  # The job holds its own copies
		job.proc = run.proc = proc
		job.tstart = run.tspawn
		run.slot = (rid, msg.get('grace', _KILL_GRACE))
		runs[rid] = run
		held[rid] = proc.pid
		if heldat[0] is None:
			heldat[0] = time.perf_counter() + _AGENT_HOLD
		try:
			run.pidfd = os.pidfd_open(proc.pid) if _PIDFD else None
		except OSError:
			run.pidfd = None
		if run.pidfd is not None:
			sel.register(run.pidfd, selectors.EVENT_READ, ('exit', run))
		else:
			polled.add(run)
		run.pipes = {}
		for stream, fd in ((proc.stdout, 1), (proc.stderr, 2)):
			if stream is not None:
				os.set_blocking(stream.fileno(), False)
				run.pipes[stream.fileno()] = (stream, fd)
				sel.register(stream.fileno(), selectors.EVENT_READ, ('pipe', run))
		if job.memlim and not launcher.kernelMemlim and _procfsWorks():
			if not watchmem:
				heapq.heappush(deadlines, (time.perf_counter() + _MEM_PERIOD, next(seq), sampleMemory))
			watchmem.add(run)

	def forward(run, fd):
		"""Send what a job's pipe holds; False at its end"""
		chunks = []
		more = _drainPipe(fd, chunks)
		if chunks:
			send({'op': 'out', 'id': run.slot[0], 'fd': run.pipes[fd][1], 'data': b''.join(chunks).decode(
				'utf-8', 'surrogateescape')})
		if not more:
			sel.unregister(fd)
			run.pipes.pop(fd)[0].close()
		return more

	def reap(run, block=False, tell=True):
		"""Collect a job's exit (tell: the pool; not for the jobs stopped as the agent ends: the pool decides
		what follows for those, from the end of the agent's output)"""
		job = run.job
		if run.ended:  # A stale event of a batch in which it ended
			return
		try:
			wpid, status, rusage = os.wait4(job.proc.pid, 0 if block else os.WNOHANG)
		except ChildProcessError:
			wpid, status, rusage = job.proc.pid, None, None
		if not wpid:
			return
		job.wtime = time.perf_counter() - run.tspawn
		polled.discard(run)
		watchmem.discard(run)
		run.ended = True
		if run.pidfd is not None:
			sel.unregister(run.pidfd)
			os.close(run.pidfd)
			run.pidfd = None
		for fd in list(run.pipes):
			while forward(run, fd):
				pass
		launcher.reaped(job, status, rusage)
		runs.pop(run.slot[0], None)
		_OUTPUTS.release(job)
		job._run = None  # Its run ended: no cycle left to the garbage collector (see _Run)
		if tell:
			held.pop(run.slot[0], None)
			send({'op': 'end', 'id': run.slot[0], 'code': _exitcode(status) if status is not None else -1
				, 'pid': job.proc.pid, 'wtime': job.wtime, 'utime': job.utime, 'stime': job.stime, 'rssmax': job.rssmax
				, 'accounting': job.accounting, 'reason': job.reason})

	def kill(run):
		if not run.ended:
			launcher.signal([run.job], signal.SIGKILL)

	def sampleMemory():
		live = [run for run in watchmem if not run.ended]
		watchmem.intersection_update(live)
		for run, cur in zip(live, _treesMemory([(run.job.proc.pid, run.job.memkind) for run in live])):
			job = run.job
			if job._noteMem(cur) >= job.memlim and job.reason is None:
				job.reason = 'memory limit'
				launcher.signal([job], signal.SIGTERM)
				heapq.heappush(deadlines, (time.perf_counter() + run.slot[1], next(seq), functools.partial(kill, run)))
		if watchmem:
			heapq.heappush(deadlines, (time.perf_counter() + _MEM_PERIOD, next(seq), sampleMemory))

	def flush():
		if heldat[0] is not None and (outbox or not held or time.perf_counter() >= heldat[0]):
			outbox[:0] = b''.join(b'{"op":"start","id":%d,"pid":%d}\n' % item for item in held.items())
			held.clear()
			heldat[0] = None
		while outbox:
			try:
				done = os.write(proto, outbox)
			except BlockingIOError:
				break
			del outbox[:done]
		writing = proto in sel.get_map()
		if outbox and not writing:
			sel.register(proto, selectors.EVENT_WRITE, ('write', None))
		elif writing and not outbox:
			sel.unregister(proto)

	cpus = len(os.sched_getaffinity(0))
	mem = os.environ.get('SLURM_MEM_PER_NODE', '')
	percpu = os.environ.get('SLURM_MEM_PER_CPU', '')
	mem = (int(mem) / 1024. if mem.isdigit() else int(percpu) * cpus / 1024. if percpu.isdigit() else _RAM_LIMIT)
	step = os.environ.get('SLURM_STEP_ID')
	send({'op': 'hello', 'node': os.environ.get('SLURMD_NODENAME') or os.uname().nodename, 'pid': os.getpid()
		, 'cpus': cpus, 'mem': mem
		, 'step': '{}.{}'.format(os.environ.get('SLURM_JOB_ID'), step) if step is not None else None})
	os.set_blocking(proto, False)
	os.set_blocking(0, False)
	sel.register(0, selectors.EVENT_READ, ('in', None))
	rest = b''

	def onTerm(signum, frame):
		raise SystemExit(128 + signum)

	# scancel (of the step or the allocation) sends SIGTERM, then SIGKILL after KillWait: the jobs end first
	# (in cgroups of their own, they are not in the step's cgroup that Slurm kills)
	signal.signal(signal.SIGTERM, onTerm)
	try:
		while True:
			flush()
			wakeat = min(([deadlines[0][0]] if deadlines else []) + ([heldat[0]] if heldat[0] else []), default=None)
			wait = max(0., wakeat - time.perf_counter()) if wakeat is not None else None
			if polled:
				wait = _POLL_PERIOD if wait is None else min(wait, _POLL_PERIOD)
			stop = False
			for key, _ in sel.select(wait):
				kind, run = key.data
				if kind == 'in':
					chunks = []
					stop = not _drainPipe(0, chunks)
					*lines, rest = (rest + b''.join(chunks)).split(b'\n')
					for line in lines:
						if not line.strip():
							continue
						msg = json.loads(line)
						if msg['op'] == 'run':
							start(msg)
						elif msg['op'] == 'sig' and msg['id'] in runs:
							launcher.signal([runs[msg['id']].job], msg['sig'])
				elif kind == 'exit' and run.pidfd == key.fd:
					reap(run)
				elif kind == 'pipe' and key.fd in (run.pipes or ()):
					forward(run, key.fd)
			for run in list(polled):
				reap(run)
			now = time.perf_counter()
			while deadlines and deadlines[0][0] <= now:
				heapq.heappop(deadlines)[2]()
			if stop:
				break
	finally:  # The pool is done with this node (or gone): nothing of its jobs stays
		live = list(runs.values())
		if live:
			launcher.signal([run.job for run in live], signal.SIGKILL)
		for run in live:
			reap(run, block=True, tell=False)
		launcher.sweep()
		launcher.close()
		try:
			os.set_blocking(proto, True)
			flush()
		except OSError:
			pass
	return 0


########################################################################################################
# PART III. THE COMMAND LINE: GNU parallel's conventions on top of ExecPool
#
########################################################################################################


# === Command line ======================================================================================
# `mpepool` / `python -m mpepool`: GNU parallel's command line, run in the pool
#
# Data flow: argv -> _cliParse() (the one table _CLI_OPTIONS; GNU's positional convention: the words after
# the options are the command, then the input sources `:::`, `:::+`, `::::`, `::::+`; any error or
# unsupported GNU option -> _CliError -> one line on stderr, exit 255, nothing run) -> _cliJobs() (the
# input sources combined as GNU does: cross product, linked sources, --colsep, -N; numbered in run order)
# -> the job log of a previous run filters them (--resume / --resume-failed) -> _CliRun feeds the pool one
# job per free slot from onfinish (the command is filled from _CliTemplate then, as {%} needs the slot),
# prints each job's output (grouped, in input order with -k, tagged with --tag, by lines with
# --line-buffer), appends one log line per finished job (a single write(2) on an O_APPEND descriptor, so
# a kill leaves only whole lines), counts the jobs for the exit status and the halt policy, and draws the
# progress bar.

# GNU parallel's job log columns, in its order (`parallel --joblog`), then ours
_JOBLOG_GNU = ('Seq', 'Host', 'Starttime', 'JobRuntime', 'Send', 'Receive', 'Exitval', 'Signal', 'Command')
_JOBLOG_OURS = ('RssmaxMB', 'Utime', 'Stime', 'Reason')
_JOBLOG_HEADER = '\t'.join(_JOBLOG_GNU + _JOBLOG_OURS)
# Job reasons that mean the run was interrupted by the pool itself (a signal, a halt): such jobs have no
# verdict, are not logged and run again on --resume
_CLI_UNFINISHED = frozenset(('pool termination', 'pool timeout', 'canceled'))
# Exit statuses as GNU parallel: the number of failed jobs up to _CLI_FAILMAX, _CLI_FAILMAX + 1 above it,
# _CLI_EUSAGE on an error of use
_CLI_FAILMAX = 100
_CLI_EUSAGE = 255
# The signals that stop a run cleanly: no job is left running and the job log holds whole lines. SIGPIPE:
# the reader of our output left (`mpepool ... | head`): a write to the pipe raises it (pipe(7)), and the
# run stops as GNU parallel's, which it kills, with the status 128 + 13
_CLI_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE)
# Units of the memory sizes on the command line; a bare number is in GB
_CLI_SIZEUNITS = {'': 1., 'K': 1. / 1024**2, 'M': 1. / 1024, 'G': 1., 'T': 1024.}
# Units of the durations (GNU parallel's): a bare number is in seconds
_CLI_TIMEUNITS = {'': 1., 's': 1., 'm': 60., 'h': 3600., 'd': 86400.}
# Finished jobs of -k that wait for an earlier one keep their outputs in temporary files up to this count,
# then in memory (a slow first job must not exhaust the descriptors)
_CLI_HELDFDS = 64
# Seconds between two flushes of the complete lines of the running jobs (--line-buffer)
_CLI_LINEPERIOD = 0.1


class _CliError(Exception):
	"""An error of use of the command line: reported as one line, exit status 255, nothing run"""


def _cliNumber(pname, val, kind=float, minval=0, strict=False, maxval=None):
	"""A number of an option, checked: finite, kind(val) >= minval (> minval if strict) and <= maxval,
	else _CliError naming pname"""
	try:
		num = kind(val)
	except (TypeError, ValueError):
		raise _CliError('{} must be a{} number, not {!r}'.format(pname, 'n integer' if kind is int else ''
			, val)) from None
	if not _finite(num):  # inf, nan, '1e400' would overflow the pool's clocks
		raise _CliError('{} must be a finite number, not {!r}'.format(pname, val))
	if num < minval or (strict and num == minval):
		raise _CliError('{} must be {} {}, not {!r}'.format(pname, '>' if strict else '>=', minval, val))
	if maxval is not None and num > maxval:
		raise _CliError('{} must be <= {:g}, not {!r}'.format(pname, maxval, val))
	return num


def _cliSize(pname, val):
	"""A memory size of an option in GB: a number of GB or a number with a K, M, G or T suffix (binary units)"""
	txt = val.strip()
	unit = txt[-1:].upper() if txt[-1:].isalpha() else ''
	if unit.endswith('B') and len(txt) >= 2 and txt[-2:-1].isalpha():  # 512MB, 2GB
		unit = txt[-2:-1].upper()
		txt = txt[:-1]
	if unit not in _CLI_SIZEUNITS:
		raise _CliError('{} must be a size such as 1.5 (GB), 512M or 2G, not {!r}'.format(pname, val))
	return _cliNumber(pname, txt[:len(txt) - len(unit)] if unit else txt, float) * _CLI_SIZEUNITS[unit]


def _cliDuration(pname, val):
	"""Seconds of a duration as GNU parallel writes them: 2.5, 30s, 1m30s, 2h, 1d (0: none)"""
	import re
	txt = val.strip().lower()
	parts = re.findall(r'([0-9]+(?:\.[0-9]*)?|\.[0-9]+)([smhd]?)', txt)
	if not txt or ''.join(num + unit for num, unit in parts) != txt or (len(parts) > 1 and not all(
	unit for _, unit in parts[:-1])):
		raise _CliError('{} must be a duration such as 2.5, 30s, 1m30s or 2h, not {!r}'.format(pname, val))
	return sum(float(num) * _CLI_TIMEUNITS[unit] for num, unit in parts)


def _cliTimeout(pname, val):
	"""--timeout: (seconds, None) or (None, fraction) for N% of the median runtime of the succeeded jobs"""
	if val.strip().endswith('%'):
		return None, _cliNumber(pname, val.strip()[:-1], float, 0, strict=True) / 100.
	return _cliDuration(pname, val), None


def _cliHalt(pname, val):
	"""The halt policy (when, why, count, fraction) of GNU parallel's --halt; None for 'never'

	when: 'now' kills the running jobs, 'soon' lets them finish; both start nothing more. why: 'fail',
	'success' or 'done', counted to count jobs or to fraction of all the jobs. The short forms are GNU's:
	0 never, 1 soon,fail=1, 2 now,fail=1, -1 soon,success=1, -2 now,success=1, N% soon,fail=N%.
	"""
	txt = {'0': 'never', '1': 'soon,fail=1', '2': 'now,fail=1', '-1': 'soon,success=1', '-2': 'now,success=1'
		}.get(val.strip(), val.strip())
	if txt.endswith('%') and txt[:-1].isdigit():
		txt = 'soon,fail=' + txt
	if txt == 'never':
		return None
	when, _, cond = txt.partition(',')
	why, _, limit = cond.partition('=')
	if when not in ('now', 'soon') or why not in ('fail', 'success', 'done') or not limit:
		raise _CliError("{} must be never, 0, 1, 2, -1, -2, N% or WHEN,WHY=N or WHEN,WHY=N% with WHEN now or"
			" soon and WHY fail, success or done, not {!r}".format(pname, val))
	if limit.endswith('%'):
		pct = _cliNumber(pname + ' percent', limit[:-1], int, 0, strict=True)
		if pct > 100:
			raise _CliError('{} percent must be <= 100, not {!r}'.format(pname, val))
		return (when, why, None, pct / 100.)
	return (when, why, _cliNumber(pname + ' count', limit, int, 0, strict=True), None)


def _cliJobsSpec(pname, val):
	"""-j as GNU parallel: N, 0 (as many as possible), +N or -N (the CPUs plus or minus N), N% of the CPUs"""
	import re
	txt = val.strip()
	if not re.match(r'^([+-]?[0-9]+|[0-9]+(\.[0-9]+)?%)$', txt):
		raise _CliError('{} must be N, 0, +N, -N or N% (a file of the number is not supported), not {!r}'
			.format(pname, val))
	return txt


def _cliSlots(spec, ncpus, total):
	"""The jobs run at once for the -j spec (see _cliJobsSpec), the CPUs ncpus and total jobs to run

	-j 0 is as many as the jobs, bounded by the descriptors (_cliFdSlots) as GNU parallel is.
	"""
	import math
	if spec is None:
		return ncpus
	if spec.endswith('%'):
		slots = math.ceil(ncpus * min(float(spec[:-1]), 1e12) / 100.)  # 1e400% would be inf
	elif spec[0] in '+-':
		slots = ncpus + int(spec)
	elif int(spec) == 0:
		slots = max(min(total, _cliFdSlots()), 1)
	else:
		slots = int(spec)
	if slots < 1:
		raise _CliError('-j {} leaves no job to run on {} CPUs'.format(spec, ncpus))
	if slots > _WKSNUM_MAX:
		raise _CliError('-j {} asks for more than the {} jobs at once that an ExecPool runs'.format(spec, _WKSNUM_MAX))
	return slots


def _cliFdSlots(keep_order=False):
	"""The jobs that the descriptors (RLIMIT_NOFILE) let run at once: each holds its two output files and
	a pidfd, two more wait for reuse, the pool and Python keep 64 and the reused cgroups up to _CG_KEPT's
	bound; -k keeps the outputs of up to _CLI_HELDFDS finished jobs open"""
	nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
	if nofile == resource.RLIM_INFINITY:
		return 1 << 14
	return max((nofile - 64 - _CG_KEPT[1] - (2 * _CLI_HELDFDS if keep_order else 0)) // 5, 1)


def _cliRegexp(pname, val):
	"""A compiled regular expression (--colsep)"""
	import re
	try:
		return re.compile(val)
	except re.error as err:
		raise _CliError('{} is not a regular expression: {!r}: {}'.format(pname, val, err)) from None


def _cliDelimiter(pname, val):
	"""An input delimiter (-d) with GNU parallel's escapes (its unquote_printf): \\t, \\n, \\r, \\NNN and \\N
	(octal; \\0: NUL); any other text as it is"""
	import re
	txt = val.replace('\\t', '\t').replace('\\n', '\n').replace('\\r', '\r')
	txt = re.sub(r'\\([0-7]{3}|[0-7])', lambda m: chr(int(m.group(1), 8) & 0xFF), txt)
	if not txt:
		raise _CliError('{} must not be empty'.format(pname))
	return txt


def _cliHostPort(pname, val):
	"""(host, port) of a 'HOST:PORT' or ':PORT' (localhost) option value, port 0: a free one; ('unix:PATH', 0)
	of 'unix:PATH' (a Unix socket)"""
	if val.startswith('unix:') and len(val) > 5:
		return val, 0
	host, sep, port = val.rpartition(':')
	if not sep:
		host, port = '', val
	port = _cliNumber(pname + ' port', port, int, 0)
	if port > 65535:
		raise _CliError('{} port must be <= 65535, not {!r}'.format(pname, val))
	return host.strip('[]') or 'localhost', port


def _cliResultsDir(pname, val):
	"""--results DIR: a folder (GNU's CSV, JSON and replacement-string forms are refused)"""
	if '{' in val or val.lower().endswith(('.csv', '.tsv', '.json')):
		raise _CliError('{} {!r}: only a folder is supported (not a CSV, TSV or JSON file nor replacement'
			' strings)'.format(pname, val))
	return val


def _cliWorkdir(pname, val):
	"""--workdir DIR: a folder, created when missing (GNU's '...' and replacement strings are refused)"""
	if val == '...' or '{' in val:
		raise _CliError('{} {!r}: only a folder is supported (not ... nor replacement strings)'.format(pname, val))
	return val


def _cliJoblogPath(pname, val):
	"""--joblog FILE or +FILE (appended to): (path, append)"""
	append = val.startswith('+')
	path = val[1:] if append else val
	if not path or path == '-':
		raise _CliError('{} {!r}: a file is needed (standard output is not supported)'.format(pname, val))
	return path, append


def _cliText(pname, val):
	"""A text value as it is"""
	return val


def _cliNonEmpty(pname, val):
	"""A text value that is not empty"""
	if not val:
		raise _CliError('{} must not be empty'.format(pname))
	return val


def _cliRetries(pname, val):
	"""--retries N (0 is 1, as GNU parallel), or a text with replacement strings, filled for each job"""
	if '{' in val:
		return val
	return max(_cliNumber(pname, val, int, 0), 1)


def _cliCgroups(pname, val):
	"""auto, on or off: ExecPool's cgroups None, True or False"""
	choices = {'auto': None, 'on': True, 'off': False}
	if val not in choices:
		raise _CliError('{} must be auto, on or off, not {!r}'.format(pname, val))
	return choices[val]


def _cliCount(pname, val):
	"""A count >= 1"""
	return _cliNumber(pname, val, int, 1)


def _cliInt(pname, val):
	"""Any integer"""
	return _cliNumber(pname, val, int, -1 << 31)


# The unit prefixes of --block, GNU parallel's: K, M, G, T, P (and Ki, ki, ...) binary, k, m, g, t, p decimal
_CLI_BLOCKUNITS = {'': 1, 'k': 10**3, 'm': 10**6, 'g': 10**9, 't': 10**12, 'p': 10**15, 'K': 1 << 10, 'M': 1 << 20
	, 'G': 1 << 30, 'T': 1 << 40, 'P': 1 << 50}


def _cliBlockSize(pname, val):
	"""--block: bytes as GNU parallel writes them (1M, 1.5k, 10Ki); a negative number -N is N blocks per job
	slot (--pipepart); returns an int"""
	match = re.match(r'^\s*(-?[0-9]+(?:\.[0-9]*)?|-?\.[0-9]+)\s*([kmgtpKMGTP]?)(i?)\s*$', val)
	if not match:
		raise _CliError('{} must be a size in bytes such as 1M, 512k or 10Ki (K, M, G: powers of 1024; k, m, g:'
			' of 1000), not {!r}'.format(pname, val))
	num, unit, binary = match.groups()
	num = float(num) * _CLI_BLOCKUNITS[unit.upper() if binary else unit]
	if not _finite(num) or num == 0 or -1 < num < 1:
		raise _CliError('{} must be at least 1 byte (or -N: N blocks per job slot), not {!r}'.format(pname, val))
	return int(num)


def _cliRecSep(pname, val):
	"""--recend, --recstart: bytes (their escapes are read by _CliSplitter, which knows about --regexp)"""
	return val.encode('utf-8', 'surrogateescape')


# One row per option; adding an option is adding a row. names: its spellings (the first named in the
# help); dest: the attribute of the parsed namespace (None: accepted without effect); metavar: the value's
# name, None for a flag; conv: conv(spelling, text) -> the value for an option with a value, or the constant
# a flag stores; default: the value when absent (a list: the option is repeatable, its values appended);
# help: one line ('' hides the row from --help). Every GNU parallel option missing here is refused.
_CliOption = collections.namedtuple('_CliOption', 'names dest metavar conv default help')
_CLI_OPTIONS = tuple(_CliOption(*row) for row in (
	# Input
	(('-a', '--arg-file', '--argfile'), 'argfiles', 'FILE', _cliText, []
		, 'an input source: the lines of FILE (- standard input); repeatable, the sources are combined like'
		' :::: FILE'),
	(('--colsep', '-C', '--col-sep'), 'colsep', 'REGEXP', _cliRegexp, None
		, 'split each input line into columns {1} {2} ... at REGEXP'),
	(('-N', '--max-replace-args', '--maxreplaceargs'), 'maxreplace', 'N', lambda pname, val: _cliNumber(pname, val
		, int), None, 'N arguments per job: {1} ... {N}, {} each of them with its word (in/{}.txt: in/a.txt'
		' in/b.txt); -N0: the command once per argument, without it'),
	(('-n', '--max-args', '--maxargs'), 'maxargs', 'N', _cliCount, None, 'at most N arguments per job, {} each'
		' of them (in/{}.txt: in/a b.txt)'),
	(('-L',), 'maxlines', 'N', _cliCount, None, 'N input lines per job, as -N N'
		' (a line ending in a blank continues on the next one); with --pipe: a record is N lines (with -N: N'
		' --recend ends)'),
	(('-l', '--max-lines', '--maxlines'), 'maxlines', '[N]', _cliCount, None, '-lN is -L N (the value attached);'
		' -l alone is -L 1'),
	(('-X',), 'xmode', None, 'X', None, 'as many arguments per job as the command line takes, each with its'
		' word (spread over the job slots at the end of the input)'),
	(('-m',), 'xmode', None, 'm', None, 'as -X, {} replaced by the arguments separated by spaces'),
	(('--xargs',), 'xmode', None, 'xargs', None, 'as many arguments per job as the command line takes, as xargs'
		' (not spread over the job slots)'),
	(('-s', '--max-chars', '--maxchars'), 'maxchars', 'N', _cliCount, None, 'at most N bytes per command line'
		' (default and most: the kernel\'s limit of one argument)'),
	(('-I',), 'replstr', 'STR', _cliNonEmpty, None, 'use STR instead of {}'),
	(('-E',), 'eofstr', 'STR', _cliText, None, 'an input source ends at its first item equal to STR'),
	(('--plus',), 'plus', None, True, False, 'the further replacement strings of GNU parallel\'s --plus: {+/}'
		' {+.} {+..} {+...} {..} {...} {/..} {/...} {##} {0#} {0%} {:-X} {:N} {:N:M} {#P} {##P} {%P} {%%P} {/P/X}'
		' {/#P/X} {/%P/X} {//P/X} {^P} {^^P} {,P} {,,P}'),
	(('--header',), 'header', 'REGEXP', _cliText, None, 'the first item of each input source names its columns'
		' ({name} is the column); : or any REGEXP: the first line, N: the first N lines'),
	(('--csv',), 'csv', None, True, False, 'the input items are CSV lines (--colsep the separator, default ,)'),
	(('--compress',), 'compress', None, True, False, 'compress the temporary files of the outputs (gzip -1)'
		' while the jobs run and wait to be printed'),
	(('-q', '--quote'), 'quoteall', None, True, False, 'quote the command: each of its words is one word of'
		' the shell command'),
	(('--link', '--xapply'), 'link', None, True, False, 'link all the input sources (the shorter ones are'
		' repeated) instead of their cross product'),
	(('-0', '--null'), 'delimiter', None, '\0', '\n', 'input items end with a NUL byte instead of a newline'),
	(('-d', '--delimiter'), 'delimiter', 'DELIM', _cliDelimiter, '\n', 'input items end with DELIM (\\n, \\t,'
		' \\0 understood)'),
	(('--arg-sep', '--argsep'), 'argsep', 'SEP', _cliText, ':::', 'use SEP instead of :::'),
	(('--arg-file-sep', '--argfilesep'), 'argfilesep', 'SEP', _cliText, '::::', 'use SEP instead of ::::'),
	(('-r', '--no-run-if-empty', '--norunifempty'), 'skipblank', None, True, False
		, 'skip the jobs with a blank argument'),
	(('--shuf',), 'shuf', None, True, False, 'run the jobs in a random order (numbered in that order)'),
	# Blocks of the input to the jobs' standard input
	(('--pipe', '--spreadstdin'), 'pipe', None, True, False, 'give each job a block of standard input on its'
		' standard input instead of arguments; records are never split'),
	(('--pipepart', '--pipe-part'), 'pipepart', None, True, False, 'the same with blocks of the files of -a FILE'
		' or :::: FILE, found by seeking (the files are not read through)'),
	(('--block', '--block-size', '--blocksize'), 'block', 'SIZE', _cliBlockSize, 1 << 20, 'the size of a block:'
		' 512k, 10M (k, m: powers of 1000, K, M: of 1024), default 1M; -N: N blocks per job slot (--pipepart,'
		' whose default is -10)'),
	(('--recend',), 'recend', 'STR', _cliRecSep, None, 'records end with STR (default \\n; empty with --recstart'
		' alone)'),
	(('--recstart',), 'recstart', 'STR', _cliRecSep, None, 'records start with STR (default empty)'),
	(('--regexp', '--regex'), 'regexp', None, True, False, '--recend and --recstart are regular expressions'),
	(('--roundrobin', '--round-robin', '--round'), 'roundrobin', None, True, False, 'with --pipe: start one job'
		' per job slot only and give each block to one of them (streamed through a pipe)'),
	# Running
	(('-j', '--jobs', '-P', '--max-procs', '--maxprocs'), 'jobs', 'N', _cliJobsSpec, None
		, 'jobs run at once: N, +N or -N (the CPUs plus or minus N), N% of the CPUs, 0 as many as possible'
		' (default: the CPUs)'),
	(('--timeout',), 'timeout', 'SECS', _cliTimeout, (0., None), 'the time limit of each job (2.5, 30s, 1m,'
		' 2h; 0: none), or N% of the median runtime of the jobs that succeeded so far'),
	(('--delay',), 'delay', 'SECS', _cliDuration, 0., 'start the jobs at least SECS apart'),
	(('--retries',), 'retries', 'N', _cliRetries, 1, 'run a failed job up to N times in total (0: once);'
		' the log keeps the last attempt; N may hold replacement strings'),
	(('--halt', '--halt-on-error', '--haltonerror'), 'halt', 'WHEN', _cliHalt, None
		, 'stop: now,fail=N kills the running jobs'
		' after N failures, soon,fail=N lets them finish; fail=N% of the jobs; success=, done= count those'
		' jobs; 1 is soon,fail=1, 2 now,fail=1'),
	(('--workdir', '--wd', '--work-dir'), 'workdir', 'DIR', _cliWorkdir, None
		, 'the working directory of the jobs (created'
		' when missing)'),
	(('--nice',), 'nice', 'N', _cliInt, None, 'run the jobs with niceness N'),
	(('--tmpdir', '--tempdir'), 'tmpdir', 'DIR', _cliText, None, 'the folder of the temporary output files (default'
		' $TMPDIR or /tmp)'),
	(('--dry-run', '--dryrun', '--dr'), 'dry_run', None, True, False, 'print the commands instead of running them'),
	# Output
	(('-k', '--keep-order', '--keeporder'), 'keep_order', None, True, False, 'print the outputs in the order'
		' of the input (default: in the order the jobs finish)'),
	(('--no-keep-order', '--nokeeporder', '--nok', '--no-k'), 'keep_order', None, False, False, 'cancel -k'),
	(('--tag',), 'tag', None, True, False, 'prefix each output line with the job\'s arguments and a tab'),
	(('--tagstring', '--tag-string'), 'tagstring', 'STR', _cliText, None, 'prefix each output line with STR'
		' (replacement strings filled, unquoted) and a tab'),
	(('-u', '--ungroup'), 'ungroup', None, True, False, 'let jobs write to the console directly (default:'
		' each job\'s output printed whole when it finishes)'),
	(('--group',), 'ungroup', None, False, False, 'group the output of each job (the default)'),
	(('--line-buffer', '--lb', '--line-buffered', '--linebuffer', '--linebuffered'), 'line_buffer', None, True
		, False, 'print the output of the running jobs line by line'),
	(('--results', '--res', '--result'), 'results', 'DIR', _cliResultsDir, None, 'the outputs of each job into'
		' DIR/1/ARG1/2/ARG2/stdout, stderr and seq, as GNU parallel, instead of the console'),
	(('-v',), 'print_command', None, True, False, 'print each job\'s command on standard output before its'
		' output'),
	(('-t', '--verbose'), 'trace', None, True, False, 'print each job\'s command on standard error when it'
		' starts'),
	(('--joblog', '--jl'), 'joblog', 'FILE', _cliJoblogPath, None, 'log each finished job on a tab-separated'
		' line (+FILE appends to FILE)'),
	(('--resume',), 'resume', None, True, False, 'skip the jobs that the --joblog shows finished'),
	(('--resume-failed', '--resumefailed'), 'resume_failed', None, True, False, 'skip the jobs that the --joblog shows'
		' succeeded; run again the failed ones'),
	(('--bar', '--eta', '--progress'), 'progress', None, True, False, 'show the progress with the estimated'
		' time left on the terminal (nothing when standard error is not a terminal)'),
	(('--will-cite', '--willcite', '--no-notice', '--nonotice', '--nn', '--gnu'), None, None, True, False
		, 'accepted, no effect'),
	(('--plain',), 'plain', None, True, False, 'ignore GNU parallel\'s default options ($PARALLEL and its'
		' config files), which are refused otherwise'),
	# Ours
	(('--memlim',), 'memlim', 'SIZE', _cliSize, 0., 'the memory limit of each job (its process tree), e.g.'
		' 2G, 512M; a bare number is in GB (0: none)'),
	(('--memlimit',), 'memlimit', 'SIZE', _cliSize, 0., 'the memory limit of all running jobs together;'
		' larger jobs are postponed (0: none)'),
	(('--afnstep',), 'afnstep', 'N', lambda pname, val: _cliNumber(pname, val, int), 0, 'pin each job to N'
		' logical CPUs (0: no pinning)'),
	(('--restart-timeout', '--rsrtonto'), 'restart_timeout', None, True, False, 'restart a job that exceeded'
		' --timeout instead of failing it'),
	(('--webui',), 'webui', 'HOST:PORT', _cliHostPort, None, 'serve the Web UI on HOST:PORT (PORT 0: a free one;'
		' unix:PATH: a Unix socket; needs bottle); its URL, with its access token, is printed on stderr'),
	(('--pool-messages',), 'pool_messages', None, True, False, 'show the pool\'s messages (job starts and'
		' completions) on standard error'),
	(('--demo',), 'demo', None, True, False, 'run a built-in demonstration batch and print a summary'),
	(('--cgroups',), 'cgroups', 'auto|on|off', _cliCgroups, None, 'run each job in a cgroup of its own (exact'
		' peak memory and CPU of its whole tree, --memlim enforced by the kernel): where usable (auto),'
		' required (on) or never (off)'),
	(('--slurm',), 'slurm', None, True, False, 'run each job on the Slurm cluster through srun (-j: the jobs in'
		' flight); the job log\'s Host is the node'),
	(('--slurm-pernode',), 'slurm_pernode', None, True, False, 'run the jobs on the nodes of a Slurm allocation'
		' through one agent per node: the allocation this runs in, else one of --slurm-nodes whole nodes,'
		' released at the end (-j: the jobs at once on all nodes; each node runs as many as its CPUs); the job'
		' log\'s Host is the node'),
	(('--slurm-nodes',), 'slurm_nodes', 'N', _cliCount, None, 'the nodes of the allocation (with'
		' --slurm-pernode; default: 1 outside an allocation, all of it inside)'),
	(('--slurm-partition',), 'slurm_partition', 'P', _cliText, None, 'the Slurm partition of the jobs (with'
		' --slurm or --slurm-pernode)'),
	(('--slurm-account',), 'slurm_account', 'A', _cliText, None, 'the Slurm account of the jobs (with --slurm'
		' or --slurm-pernode)'),
	(('--slurm-option',), 'slurm_option', 'OPT', _cliText, [], 'a further srun option such as'
		' --slurm-option=--qos=long (repeatable, with --slurm; with --slurm-pernode a salloc option)'),
	(('--version', '-V'), 'version', None, True, False, 'print the version'),
	(('--help', '-h'), 'help', None, True, False, 'print this help'),
))
_CLI_OPTBYNAME = {name: opt for opt in _CLI_OPTIONS for name in opt.names}
_CLI_USAGE = ('mpepool [options] [COMMAND [ARG ...]] [::: ARG ... | :::+ ARG ... | :::: FILE ... | ::::+ FILE'
	' ...]...\n       mpepool [options] [COMMAND [ARG ...]] < ARGS (no COMMAND: each input line is a command)'
	'\n       mpepool --demo')


def _cliHelp():
	"""The text of --help, from the option table"""
	import textwrap
	rows = []
	for opt in _CLI_OPTIONS:
		if opt.help:
			rows.append((', '.join(opt.names[:2]) + (' ' + opt.metavar if opt.metavar else ''), opt.help + (
				' (also {})'.format(', '.join(opt.names[2:])) if opt.names[2:] else '')))
	width = max(len(left) for left, _ in rows) + 2
	options = ''.join(textwrap.fill(text, 110, initial_indent='  ' + left.ljust(width), subsequent_indent=' ' * (
		width + 2)) + '\n' for left, text in rows)
	return ('usage: ' + _CLI_USAGE + '\n\nRun shell commands in parallel under timeouts, memory limits and'
		' CPU affinity, with GNU\nparallel\'s command line. Replacement strings: {} {.} {/} {//} {/.} {#} {%}'
		' and {N} {N.} {N/}\n{N//} {N/.} (input source or column N), --plus\'s, {name} with --header. GNU parallel'
		' options not listed\nare refused, as are Perl expressions {= ... =}.\n\noptions:\n' + options + '\nExamples:\n  mpepool -j4 --joblog run.log -a cmds.txt\n'
		'  ls *.txt | mpepool --timeout 60 gzip'
		' -9 {}\n  mpepool -k --tag ./simulate --seed {1} --size {2} ::: 1 2 3 ::: 10 100\n  mpepool --demo\n'
		'Commands run as SHELL -c COMMAND, the shell chosen as GNU parallel does ($PARALLEL_SHELL, the calling'
		' shell, $SHELL). Exit status: 0 all succeeded, 1-100 the number of failed jobs,'
		' 101 more\n(under --halt as GNU parallel), 128+N stopped by signal N, 255 an error of use.')


def _cliOptions(argv, ns):
	"""Parse the options at the start of argv into ns (GNU's order: options first); returns the rest"""
	i = 0
	while i < len(argv):
		word = argv[i]
		i += 1
		if word == '--':
			return argv[i:]
		if len(word) < 2 or word[0] != '-':  # The command starts
			return argv[i - 1:]
		if word.startswith('--'):  # --name, --name=value, --name value
			name, eq, value = word.partition('=')
			pieces = [(name, value if eq else None)]
		else:  # Bundled short options: -kj4 is -k -j 4
			pieces = []
			for k in range(1, len(word)):
				opt = _CLI_OPTBYNAME.get('-' + word[k])
				pieces.append(('-' + word[k], word[k + 1:] or None if opt and opt.metavar else None))
				if opt and opt.metavar:
					break
		for name, value in pieces:
			opt = _CLI_OPTBYNAME.get(name)
			if opt is None:
				import difflib
				close = difflib.get_close_matches(name, [known for known in _CLI_OPTBYNAME if known.startswith('--')
					] if name.startswith('--') else (), 1)
				raise _CliError('unsupported option {}{} (GNU parallel\'s options that mpepool does not implement'
					' are refused; see mpepool --help)'.format(name, ': did you mean {}?'.format(close[0])
					if close else ''))
			if opt.metavar is None:
				if value is not None:
					raise _CliError('{} takes no value, not {!r}'.format(name, value))
				_cliSet(ns, opt, opt.conv)
				continue
			if value is None and opt.metavar.startswith('['):  # An optional value is attached (-l2) or absent
				value = '1'  # -l alone is -l 1 (the only option whose value is optional)
			if value is None:
				if i >= len(argv):
					raise _CliError('{} needs a value ({})'.format(name, opt.metavar))
				value = argv[i]
				i += 1
			_cliSet(ns, opt, opt.conv(name, value))
	return []


def _cliCheckGnuDefaults():
	"""_CliError if GNU parallel's default options are set (in $PARALLEL or its config files): GNU would add
	them to the command line, mpepool does not read them"""
	home = os.path.expanduser('~')
	if os.environ.get('PARALLEL', '').strip():
		raise _CliError('GNU parallel\'s default options in $PARALLEL are not read: give them on the command'
			' line (or --plain to run without them): {!r}'.format(os.environ['PARALLEL']))
	for path in ('/etc/parallel/config', os.path.join(os.environ.get('PARALLEL_HOME') or os.path.join(home
	, '.parallel'), 'config'), os.path.join(home, '.parallelrc')):
		try:
			with open(path, 'rb') as fconf:
				lines = [ln.strip() for ln in fconf.read().split(b'\n')]
		except OSError:
			continue
		if any(ln and not ln.startswith(b'#') for ln in lines):
			raise _CliError('GNU parallel\'s default options in {} are not read: give them on the command line'
				' (or --plain to run without them)'.format(path))


def _cliSet(ns, opt, value):
	"""Store an option's value in ns: appended for a repeatable option, nothing for one without effect"""
	if opt.dest is None:
		return
	ns.given.add(opt.dest)
	if isinstance(opt.default, list):
		getattr(ns, opt.dest).append(value)
	else:
		setattr(ns, opt.dest, value)


def _cliParse(argv):
	"""The command line as a namespace with checked values; raises _CliError

	argv: list(str)  - the arguments without the program name. As GNU parallel: the options come first;
		the words from the first one that is not an option (or after '--') are the command and then the
		input sources, each one started by ::: (words), :::+ (words linked to the previous source), ::::
		(files, one source each) or ::::+ (linked files). ns.command: the command words (empty: each input
		item is a command); ns.sources: [(kind 'args' or 'files', words, linked)] in the order given.
	"""
	ns = types.SimpleNamespace(**{opt.dest: list(opt.default) if isinstance(opt.default, list) else opt.default
		for opt in _CLI_OPTIONS if opt.dest})
	ns.given = set()  # The dests of the options given
	rest = _cliOptions(list(argv), ns)
	markers = {ns.argsep: ('args', False), ns.argsep + '+': ('args', True), ns.argfilesep: ('files', False)
		, ns.argfilesep + '+': ('files', True)}
	ns.command = []
	ns.sources = [('files', [path], False) for path in ns.argfiles]
	for word in rest:
		if word in markers:
			kind, linked = markers[word]
			ns.sources.append((kind, [], linked))
		elif ns.sources and len(ns.sources) > len(ns.argfiles):
			ns.sources[-1][1].append(word)
		else:
			ns.command.append(word)
	for kind, words, _ in ns.sources:
		if kind == 'files' and not words:
			raise _CliError('{} needs at least one file'.format(ns.argfilesep))
	if ns.jobs is not None:  # Checked now, resolved when the jobs are known (-j 0)
		_cliSlots(ns.jobs, max(len(os.sched_getaffinity(0)), 1), 1)
	if ns.cgroups and _cgroupsMissing():
		raise _CliError('--cgroups on, but {}'.format(_cgroupsMissing()))
	if (ns.resume or ns.resume_failed) and not ns.joblog:
		raise _CliError('--resume and --resume-failed need --joblog FILE')
	if ns.resume and ns.resume_failed:
		raise _CliError('--resume and --resume-failed exclude each other')
	if ns.slurm and ns.slurm_pernode:
		raise _CliError('give --slurm (an srun per job) or --slurm-pernode (an agent per node), not both')
	if (ns.slurm_partition or ns.slurm_account or ns.slurm_option) and not (ns.slurm or ns.slurm_pernode):
		raise _CliError('--slurm-partition, --slurm-account and --slurm-option need --slurm or --slurm-pernode')
	if ns.slurm_nodes is not None and not ns.slurm_pernode:
		raise _CliError('--slurm-nodes needs --slurm-pernode')
	for opt in ('slurm', 'slurm_pernode'):
		if getattr(ns, opt) and shutil.which('srun') is None:
			raise _CliError("--{} needs Slurm's srun, which is not on PATH".format(opt.replace('_', '-')))
		if getattr(ns, opt) and ns.cgroups:
			raise _CliError('--cgroups on applies to the jobs run here, not with --{} (Slurm holds its jobs in its'
				' cgroups; an agent uses cgroups on its node where it can)'.format(opt.replace('_', '-')))
	if ns.line_buffer and ns.keep_order:
		raise _CliError('--line-buffer with -k is not supported')
	if ns.compress and (ns.line_buffer or ns.restart_timeout):
		raise _CliError('--compress with --line-buffer or --restart-timeout is not supported')
	if ns.compress and not shutil.which('gzip'):
		raise _CliError('--compress needs gzip, which is not on PATH')
	if ns.demo and (ns.command or ns.sources):
		raise _CliError('--demo takes no command and no input')
	if not ns.plain:
		_cliCheckGnuDefaults()
	if ns.header is not None or ns.csv:  # Columns: GNU's default separators
		ns.colsep = ns.colsep or _cliRegexp('--colsep', ',' if ns.csv else '\t')
		if ns.csv and len(ns.colsep.pattern) != 1:
			raise _CliError('--csv needs a --colsep of one character, not {!r}'.format(ns.colsep.pattern))
	ns.tagtext = ns.tagstring
	ns.colnames = []  # The column names of --header
	ns.penv = ''  # $PARALLEL_ENV (_cliEnvironment)
	_cliCheckPipe(ns)
	_cliTemplates(ns)
	return ns


def _cliCheckPipe(ns):
	"""Check the options of --pipe and --pipepart; ns.splitter: their _CliSplitter (None without them),
	ns.pipefiles: the files whose blocks go to the jobs (none: standard input)"""
	ns.splitter = None
	ns.pipefiles = []
	pipeopts = {'block', 'recend', 'recstart', 'regexp', 'roundrobin'} & ns.given
	if not (ns.pipe or ns.pipepart):
		if pipeopts:
			raise _CliError('--{} needs --pipe or --pipepart'.format(sorted(pipeopts)[0]))
		return
	name = '--pipepart' if ns.pipepart else '--pipe'
	if not ns.command:
		raise _CliError('{} needs a command (that reads its block on standard input)'.format(name))
	if any(kind == 'args' for kind, _, _ in ns.sources):
		raise _CliError('{} takes its input from standard input or files, not from {} arguments'.format(name
			, ns.argsep))
	ns.pipefiles = [path for _, words, _ in ns.sources for path in words]
	if ns.pipepart:
		if not ns.pipefiles or '-' in ns.pipefiles:
			raise _CliError('--pipepart needs files that can be seeked, given with -a FILE or :::: FILE')
		if {'maxreplace', 'maxargs', 'maxlines'} & ns.given:
			raise _CliError('--pipepart cuts blocks by size: -N and -L are not supported with it')
		if ns.roundrobin:  # GNU parallel's: one block per job slot
			ns.block = -1
		elif 'block' not in ns.given:  # GNU parallel's default: 10 blocks per job slot
			ns.block = -10
		for path in ns.pipefiles:
			if not os.path.isfile(path) or not os.access(path, os.R_OK):
				raise _CliError('--pipepart needs a readable regular file, not {!r}'.format(path))
	else:
		if ns.pipefiles:  # GNU parallel reads standard input then, and makes the files' lines arguments
			raise _CliError('--pipe reads standard input, not -a or {} files: give a file as < FILE, or use'
				' --pipepart -a FILE'.format(ns.argfilesep))
		if ns.block < 0:
			raise _CliError('--block {} (blocks per job slot) needs --pipepart'.format(ns.block))
		ns.block = min(ns.block, (1 << 31) - 1)  # As GNU parallel: a larger block causes problems
	for opt in ('resume', 'resume_failed', 'shuf'):
		if getattr(ns, opt):
			raise _CliError('--{} is not supported with {}'.format(opt.replace('_', '-'), name))
	if ns.roundrobin and ns.pipe and (ns.retries > 1 or ns.restart_timeout):  # A job's input is a stream
		raise _CliError('--retries and --restart-timeout are not supported with --roundrobin (a job\'s input is'
			' streamed once)')
	if 'maxlines' in ns.given and not {'maxreplace', 'maxargs'} & ns.given:  # -L alone: records of N lines, as
		# GNU parallel
		ns.splitter = _CliSplitter(b'\n', None, False, ns.maxlines or 1)
	else:
		ns.splitter = _CliSplitter(ns.recend, ns.recstart, ns.regexp, ns.maxlines or 1)


def _cliTemplates(ns, subst=()):
	"""Compile the command (ns.template), --tag/--tagstring (ns.tagstring) and --retries (ns.retrystr)
	templates; subst: [(re, replacement)] applied to their texts first (--header's column names)"""
	def text(txt):
		for regexp, repl in subst:
			txt = regexp.sub(repl, txt)
		return txt
	context = ns.xmode == 'X' or ns.maxreplace is not None or (ns.maxlines is not None and ns.xmode not in (
		'm', 'xargs'))
	# With --pipe the input goes to the jobs' standard input: nothing is appended to the command
	ns.template = _CliTemplate([text(word) for word in ns.command or ['{}']], context=context
		, quoteall=ns.quoteall, plus=ns.plus, replstr=ns.replstr, append=not ns.splitter)
	# --tag is --tagstring {}: the arguments joined by spaces
	ns.tagstring = _CliTemplate(text(ns.tagtext if ns.tagtext is not None else '{}'), quote=False, append=False
		, plus=ns.plus, replstr=ns.replstr) if ns.tag or ns.tagtext is not None else None
	ns.retrystr = _CliTemplate(text(ns.retries), quote=False, append=False, plus=ns.plus, replstr=ns.replstr
		) if isinstance(ns.retries, str) else None


def _cliQuote(val):
	"""A value quoted for /bin/sh exactly as GNU parallel quotes it (so both log the same commands)"""
	if not val:
		return "''"
	if not val.strip('-_.+/abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'):
		return val
	res = "'" + val.replace("'", "'\"'\"'") + "'"
	if res.startswith("''"):  # A leading or trailing quote needs no empty '' beside it
		res = res[2:]
	if res.endswith("''") and len(res) > 2:
		res = res[:-2]
	return res


def _cliPerlDirname(path):
	"""The folder of path as Perl's File::Basename::dirname (GNU parallel's {//}): 'a/' -> '.', '/' -> '/'"""
	head = path.rstrip('/')
	if not head:
		return '/' if path else '.'
	i = head.rfind('/')
	if i < 0:
		return '.'
	return head[:i].rstrip('/') or '/'


def _cliUngreedy(pattern):
	"""A regular expression whose quantifiers are lazy (GNU parallel's make_regexp_ungreedy for {#..} {%..})"""
	import re
	return re.sub(r'(\\.|\[(?:\\.|[^\]])*\])|([*+?]|\{[0-9,]+\})(?!\?)', lambda m: m.group(1) or m.group(2) + '?'
		, pattern)


def _cliPlusModifier(body):
	"""The function of a --plus replacement string's body (between { and }), or None if it is none

	GNU parallel's --plus set: {+/} {+.} {+..} {+...} {..} {...} {/..} {/...} and the bash-like
	{:-DEFAULT} {:START} {:START:LEN} {#PAT} {##PAT} {%PAT} {%%PAT} {/PAT/TEXT} {/#PAT/TEXT} {/%PAT/TEXT}
	{//PAT/TEXT} {^PAT} {^^PAT} {,PAT} {,,PAT} (PAT a regular expression, as Perl's there)
	"""
	import re
	ext = lambda n: r'(?:\.[^/.]*){%d}\Z' % n
	fixed = {
		'+/': lambda v: v[:v.rfind('/')] if '/' in v else '',
		'+.': lambda v: v[v.rfind('.') + 1:] if '.' in v else '',
		'+..': lambda v: (lambda m: m.group(1) if m else '')(re.search(r'\.([^/.]*\.[^/.]*)\Z', v)),
		'+...': lambda v: (lambda m: m.group(1) if m else '')(re.search(r'\.([^/.]*\.[^/.]*\.[^/.]*)\Z', v)),
		'..': lambda v: re.sub(ext(2), '', v, 1),
		'...': lambda v: re.sub(ext(3), '', v, 1),
		'/..': lambda v: re.sub(ext(2), '', v[v.rfind('/') + 1:], 1),
		'/...': lambda v: re.sub(ext(3), '', v[v.rfind('/') + 1:], 1),
	}
	if body in fixed:
		return fixed[body]
	literal = lambda text: lambda m: text
	case = lambda func: lambda m: func(m.group(0))
	forms = (
		(r':-(.+)', lambda d: lambda v: v or d),
		(r':([0-9]+)', lambda s: lambda v: v[int(s):]),
		(r':([0-9]+):([0-9]+)', lambda s, n: lambda v: v[int(s):int(s) + int(n)]),
		(r'#([^#}].*)', lambda p: lambda v: re.sub('^' + _cliUngreedy(p), '', v, 1)),
		(r'##([^#}].*)', lambda p: lambda v: re.sub('^' + p, '', v, 1)),
		(r'%%(.+)', lambda p: lambda v: re.sub('(?:' + p + r')\Z', '', v, 1)),
		(r'%(.+)', lambda p: lambda v: (lambda m: m.group(1) if m else v)(re.match(r'(?s)(.*)(?:' + _cliUngreedy(p)
			+ r')\Z', v))),
		(r'/#(.+)/(.*)', lambda p, t: lambda v: re.sub('^' + p, literal(t), v)),
		(r'/%(.+)/(.*)', lambda p, t: lambda v: re.sub('(?:' + p + r')\Z', literal(t), v)),
		(r'//(.+?)/(.*)', lambda p, t: lambda v: re.sub(p, literal(t), v)),
		(r'/([^#%}/]+)/(.*)', lambda p, t: lambda v: re.sub(p, literal(t), v, 1)),
		(r'\^\^(.+)', lambda p: lambda v: re.sub(p, case(str.upper), v)),
		(r'\^(.+)', lambda p: lambda v: re.sub('^(?:' + p + ')', case(str.upper), v, 1)),
		(r',,(.+)', lambda p: lambda v: re.sub(p, case(str.lower), v)),
		(r',(.+)', lambda p: lambda v: re.sub('^(?:' + p + ')', case(str.lower), v, 1)),
	)
	for form, make in forms:
		match = re.fullmatch(form, body, re.S)
		if match:
			try:
				func = make(*match.groups())
				func('')  # The pattern compiles
			except re.error as err:
				raise _CliError('the --plus replacement string {{{}}} holds a bad regular expression: {}'.format(
					body, err)) from None
			return func
	return None


class _CliTemplate(object):
	"""A command template compiled once into words, texts and replacement strings, filled per job

	Replacement strings (GNU parallel's): {} each of the job's arguments, {N} the N-th (negative: from the
	end; blanks may follow N, even a newline), each with the modifiers . (without extension), / (basename),
	// (dirname), /. (basename without extension), and --plus's (_cliPlusModifier); {#} the job's sequence
	number, {%} its slot, with --plus {##} the number of jobs, {0#} and {0%} zero-padded. -I STR names {}
	STR. A template without any gets the word {} appended.

	How several arguments of a job fill it is GNU parallel's: a {} (or {.}, ...) yields every argument,
	separated by spaces, and with context (-X, -N, -L) the whole word around it (the text between blanks)
	is repeated for each argument (`in/{}.txt` with a and b: in/a.txt in/b.txt), else only the replacement
	string is (in/a b.txt). {N}, {#}, {%} yield one value. The values are shell-quoted as GNU does, except
	when the first word holds a replacement string (`mpepool {} ::: 'echo a'`, `mpepool ./run_{1}`); with
	-q (quoteall) each word of the command is quoted whole instead.
	"""
	_MODIFIERS = {
		'': lambda v: v,
		'.': lambda v: _CliTemplate._EXT.sub('', v, 1),
		'/': lambda v: v[v.rfind('/') + 1:],
		'//': _cliPerlDirname,
		'/.': lambda v: _CliTemplate._EXT.sub('', v[v.rfind('/') + 1:], 1),
	}
	_SPECIALS = ('#', '%', '##', '0#', '0%')  # One value per job, whatever its arguments
	_EXT = None  # re: an extension at the end (compiled at the first template)
	_TOKEN = None  # re: a replacement string candidate: {, a position, a body, }
	_SPACE = '\0spc'  # The unquoted space between words (and between the copies of a replaced word)

	def __init__(self, words, quote=True, append=True, context=False, quoteall=False, plus=False, replstr=None):
		import re
		cls = type(self)
		if cls._TOKEN is None:
			cls._EXT = re.compile(r'\.[^/.]*\Z')
			cls._TOKEN = re.compile(r'\{(?:(-?[0-9]+)\s*)?([^{}]*)\}')
		words = [words] if isinstance(words, str) else list(words)
		text = ' '.join(words)
		if '{=' in text:
			raise _CliError('the replacement string {{= perl expression =}} is not supported: {!r}'.format(text))
		self.text = text
		self.context = context  # bool: a word holding {} is repeated for each argument
		self.quoteall = quoteall  # bool: -q
		self.njobs = 1  # int: jobs of the run ({##}, {0#}), set once they are known
		self.nslots = 1  # int: job slots of the run ({0%})
		token = re.compile('(' + re.escape(replstr) + ')|' + cls._TOKEN.pattern) if replstr else re.compile(
			'()' + cls._TOKEN.pattern)
		self.units = []  # _SPACE, ' ', or a group: a list of str and (position or None or special, modifier)
		found = False
		group = []
		for iword, word in enumerate(words):
			if iword:
				self._close(group)
				group = []
				self.units.append(self._SPACE)
			pos = 0
			pieces = []
			for match in token.finditer(word):
				part = self._part(match, plus, replstr)
				if part is None:
					continue
				pieces.append(word[pos:match.start()])
				pieces.append(part)
				pos = match.end()
				found = True
			pieces.append(word[pos:])
			for piece in pieces:
				if piece.__class__ is tuple:
					group.append(piece)
					continue
				for char in re.split(r'([ \t])', piece):  # Blanks end a context group; a tab starts the next
					if char == ' ':
						self._close(group)
						group = []
						self.units.append(' ')
					elif char == '\t':
						self._close(group)
						group = ['\t']
					elif char:
						group.append(char)
			if not word:
				group.append('')
		self._close(group)
		if append and not found:
			self.units += [self._SPACE, [(None, self._MODIFIERS[''])]]
		# As GNU parallel: nothing is quoted when a replacement string is in the command's first word
		first = token.search(text)
		while first is not None and self._part(first, plus, replstr) is None:
			first = token.search(text, first.end())
		self.quote = quote and not quoteall and not (first and not any(c in text[:first.start()] for c in ' \t\n='))
		# The template {} alone (input lines as commands, --tag): its value is the arguments joined by spaces
		self.bare = self.units == [[(None, self._MODIFIERS[''])]] and not self.quote and not quoteall

	def _close(self, group):
		"""Add a finished group of tokens to the units: one group with context, else one per token"""
		if not group:
			return
		if self.context:
			self.units.append(group)
		else:
			self.units.extend([tok] for tok in group)

	def _part(self, match, plus, replstr):
		"""(what, modifier) of a replacement string match, None for text that only looks like one

		what: None for {} (each argument), an int N for {N}, or one of _SPECIALS.
		"""
		if replstr and match.group(1) is not None:
			return (None, self._MODIFIERS[''])
		num, body = match.group(2), match.group(3)
		if replstr and num is None and body == '':
			return None  # -I renamed {}
		inner = match.group()[1:-1]
		if inner in self._SPECIALS[:2] or plus and inner in self._SPECIALS:
			return (inner, None)
		mod = self._MODIFIERS.get(body) or (_cliPlusModifier(body) if plus else None)
		if mod is None:
			return None
		if num is not None and int(num) == 0:
			raise _CliError('the replacement string {} is not supported: {!r}'.format(match.group(), self.text))
		return (int(num) if num is not None else None, mod)

	def _value(self, what, mod, arg, args, seq, slot):
		"""The text of one replacement string"""
		import math
		if what is None:
			return '' if arg is None else self._quoted(mod(arg))
		if what.__class__ is int:  # {N}: empty when the job has fewer arguments (-N, a short line of --colsep)
			idx = what - 1 if what > 0 else len(args) + what
			return self._quoted(mod(args[idx])) if 0 <= idx < len(args) else ''
		if what == '##':
			return str(self.njobs)
		num, count = (seq, self.njobs) if what.endswith('#') else (slot, self.nslots)
		if what.startswith('0'):  # GNU's width: 1 + int(log(count) / log(10)), floating point included
			return str(num).zfill(1 + int(math.log(max(count, 1)) / math.log(10)))
		return str(num)

	def _quoted(self, val):
		return _cliQuote(val) if self.quote else val

	def fill(self, args, seq, slot=1):
		"""The command for the arguments args (a tuple of str), the sequence number seq and the slot"""
		if self.bare:
			return ' '.join(args)
		out = []
		for unit in self.units:
			if unit.__class__ is str:
				out.append(unit)
				continue
			if all(tok.__class__ is str for tok in unit):
				out.extend(unit)
				continue
			for i, arg in enumerate(args or (None,)):  # -N0: no argument, {} is empty
				if i:
					out.append(self._SPACE)
				normal = False
				for tok in unit:
					if tok.__class__ is str:
						out.append(tok)
					else:
						normal = normal or tok[0] is None
						out.append(self._value(tok[0], tok[1], arg, args, seq, slot))
				if not normal:
					break
		words = ''.join(out).split(self._SPACE)
		if self.quoteall:
			return ' '.join(_cliQuote(word) for word in words)
		return ' '.join(words)


# The shells GNU parallel recognizes among the ancestors of the command line (the shell that runs the commands)
_CLI_SHELLS = frozenset(('ash', 'bash', 'bsd-csh', 'csh', 'dash', 'fdsh', 'fish', 'fizsh', 'ksh', 'ksh93', 'lksh'
	, 'mksh', 'pdksh', 'posh', 'rbash', 'rc', 'rush', 'rzsh', 'sash', 'sh', 'static-sh', 'tcsh', 'yash', 'zsh'))


def _cliShell():
	"""The shell that runs the commands, chosen as GNU parallel does: $PARALLEL_SHELL, else the nearest
	ancestor process that is a shell (the one the user typed the command in), else $SHELL, else /bin/sh"""
	shell = os.environ.get('PARALLEL_SHELL')
	pid = os.getppid()
	while not shell and pid > 1:
		try:
			with open('/proc/{}/cmdline'.format(pid), 'rb') as fcmd:
				name = fcmd.read().split(b'\0', 1)[0].decode('utf-8', 'replace')
			with open('/proc/{}/stat'.format(pid), 'rb') as fstat:
				ppid = int(fstat.read().rsplit(b')', 1)[1].split()[1])
		except (OSError, ValueError, IndexError):
			break
		if os.path.basename(name).lstrip('-') in _CLI_SHELLS:  # By its name in PATH, as GNU: sh stays sh
			shell = shutil.which(os.path.basename(name).lstrip('-'))
		pid = ppid
	shell = shell or os.environ.get('SHELL') or '/bin/sh'
	if not shutil.which(shell):
		raise _CliError('the shell {!r} is not found ($PARALLEL_SHELL, the calling shell or $SHELL)'.format(shell))
	return shell


def _cliReadItems(path, stdin=None):
	"""The text of an input file ('-' standard input); _CliError if it cannot be read

	Decoded as UTF-8 with surrogateescape, so that any byte reaches the shell unchanged.
	"""
	try:
		if path == '-':
			data = (stdin if stdin is not None else sys.stdin.buffer).read()
		else:
			with open(path, 'rb') as finp:
				data = finp.read()
	except OSError as err:
		raise _CliError('cannot read the input file {!r}: {}'.format(path, err.strerror or err)) from None
	return data.decode('utf-8', 'surrogateescape')


def _cliItems(ns, text):
	"""The items of one input source's text as GNU parallel reads them: split at the delimiter (-d), up to
	the -E string, a NUL replaced by \\0 (no argument can hold one), lines ending in a blank continued on
	the next one (-L, -l), blank items skipped (-r)"""
	items = text.split(ns.delimiter)
	if items and not items[-1]:  # The terminating delimiter does not end an empty last item
		items.pop()
	if ns.eofstr is not None and ns.eofstr in items:
		del items[items.index(ns.eofstr):]
	if any('\0' in item for item in items):
		_warnmsg('mpepool: warning: a NUL character in the input was replaced with \\0: NUL cannot be passed in'
			' an argument list (did you mean to use --null?)')
		items = [item.replace('\0', '\\0') for item in items]
	if ns.maxlines:
		joined = []
		prefix = ''
		for item in items:
			item = prefix + item
			prefix = ''
			if ns.skipblank and not item.strip(' \t\n\r\f\v'):
				continue
			if item[-1:] in (' ', '\t', '\n', '\r', '\f', '\v'):
				prefix = item
			else:
				joined.append(item)
		items = joined + ([prefix] if prefix else [])
	elif ns.skipblank:  # -r: as GNU parallel, blank items; a line with empty columns is kept
		items = [item for item in items if item.strip(' \t\n\r\f\v')]
	return items


def _cliSourceValues(ns, stdin=None):
	"""The input sources as [(items, linked)]: the words of ::: (read as GNU does, as if they were the lines
	of a file, so -d splits them), the items of each file (::::+ links every file after it); stdin if none"""
	sources = ns.sources or [('files', ['-'], False)]
	paths = [path for kind, words, _ in sources if kind == 'files' for path in words]
	if paths.count('-') > 1:
		raise _CliError('standard input (-) is given more than once')
	for path in paths:  # Every file is checked before any is read: nothing runs on a bad one
		if path != '-' and not os.access(path, os.R_OK):
			raise _CliError('cannot read the input file {!r}: {}'.format(path, 'no such file'
				if not os.path.exists(path) else 'permission denied'))
	values = []
	for kind, words, linked in sources:
		if kind == 'args':
			values.append((_cliItems(ns, ''.join(word + ns.delimiter for word in words)), linked))
			continue
		for path in words:
			values.append((_cliItems(ns, _cliReadItems(path, stdin)), linked))
	return values


def _cliColumns(ns, item):
	"""The columns of an input item: --csv parses it as a CSV line, --colsep splits it (the columns trimmed
	of white space, as GNU parallel); without them the item itself"""
	if ns.csv:
		import csv
		try:
			return tuple(next(csv.reader([item], delimiter=ns.colsep.pattern), ['']))
		except (csv.Error, TypeError) as err:
			raise _CliError('--csv: cannot read the input line {!r}: {}'.format(item, err)) from None
	if ns.colsep is None:
		return (item,)
	return tuple(col.strip(' \t\n\r\f\v') for col in ns.colsep.split(item))


def _cliHeader(ns, sources):
	"""--header: take the first item of each source (N items with a number) as the names of its columns,
	and make the templates with {name} as the column's {N}"""
	import re
	names = []
	for items, _ in sources:
		head = items[:int(ns.header)] if ns.header.isdigit() else items[:1]
		del items[:len(head)]
		if head:
			names.extend(_cliColumns(ns, head[0]))
	ns.colnames = names
	subst = []
	for pos, name in enumerate(names, 1):
		subst.append((re.compile(r'\{' + re.escape(name) + r'(|/|//|\.|/\.)\}'), r'{%d\1}' % pos))
	_cliTemplates(ns, subst)


def _cliRecords(ns, stdin=None):
	"""The argument tuples of the input, combined as GNU parallel: the cross product of the sources (the
	last varying fastest), a linked source zipped with the previous one (to the shorter), --link zipping
	all (the shorter repeated); --colsep and --csv split each item into columns"""
	sources = _cliSourceValues(ns, stdin)
	if ns.header is not None:
		_cliHeader(ns, sources)
	groups = []  # Lists of linked sources
	for items, linked in sources:
		values = [_cliColumns(ns, item) for item in items]
		if (linked or ns.link) and groups:
			groups[-1].append(values)
		else:
			groups.append([values])
	rows = []
	for group in groups:
		if ns.link and len(group) > 1 and all(group):
			size = max(len(values) for values in group)
			group = [[values[i % len(values)] for i in range(size)] for values in group]
		rows.append([sum(vals, ()) for vals in zip(*group)])
	return [sum(combo, ()) for combo in itertools.product(*rows)] if len(rows) > 1 else rows[0]


def _cliMaxLine():
	"""Bytes at most of a command line: the kernel's limit of one argument (MAX_ARG_STRLEN, 32 pages with
	its NUL, include/uapi/linux/binfmts.h: the command is the one argument of `SHELL -c`), and of all
	the arguments with the environment (ARG_MAX, a quarter of the stack limit: execve(2))"""
	env = sum(len(key) + len(val) + 2 + 8 for key, val in os.environb.items())
	return max(min(32 * resource.getpagesize() - 1, os.sysconf('SC_ARG_MAX') - env - 4096), 1)


def _cliGroups(ns, records, slots):
	"""The records of each job: up to -n/-N/-L N of them (1 by default, any number with -X, -m, --xargs)
	while the command line stays within -s and the kernel's limit; -X and -m spread the records of the
	last command line over the job slots, as GNU parallel. _CliError (GNU's "Command line too long")
	for a record whose command alone is too long: nothing runs then."""
	import math
	limit = min(_cliMaxLine(), ns.maxchars or sys.maxsize)
	maxn = next((n for n in (ns.maxreplace, ns.maxargs, ns.maxlines) if n is not None), None if ns.xmode else 1)
	if maxn == 0:  # -N0: one job per record, without its arguments
		return [((),) for _ in records]

	def size(group, seq):
		return len(ns.template.fill(sum(group, ()), seq, slots).encode('utf-8', 'surrogateescape'))
	groups = []
	cur = []
	for rec in records:
		if cur and len(cur) < (maxn or sys.maxsize):
			# Adding a record adds its own text: measured beside the first one, checked again if the
			# command is longer than the sum (positional replacement strings of later records)
			inc = size((cur[0], rec), len(groups) + 1) - base
			if curlen + inc < limit and (inc >= 0 or size(cur + [rec], len(groups) + 1) < limit):
				cur.append(rec)
				curlen += inc
				continue
		if cur:
			groups.append(tuple(cur))
		cur = [rec]
		base = curlen = size(cur, len(groups) + 1)
		if curlen >= limit:
			args = ' '.join(rec)
			raise _CliError('Command line too long ({} >= {} bytes) at input {}: {}'.format(curlen, limit
				, len(groups), args if len(args) <= 50 else args[:50] + '...'))
	if cur:
		groups.append(tuple(cur))
	if ns.xmode in ('X', 'm') and groups and len(groups[-1]) > 1:  # The end of the input: spread
		last = groups.pop()
		n = math.ceil(len(last) / slots)
		groups += [last[i:i + n] for i in range(0, len(last), n)]
	return groups


def _cliJobs(ns, stdin=None):
	"""The jobs of the input: [_CliJob] numbered from 1 in run order; _CliError on bad input"""
	records = _cliRecords(ns, stdin)
	slots = _cliSlots(ns.jobs, max(len(os.sched_getaffinity(0)), 1), max(len(records), 1))
	groups = _cliGroups(ns, records, slots)
	if ns.shuf:
		import random
		random.shuffle(groups)
	for template in (ns.template, ns.tagstring, ns.retrystr):
		if template is not None:
			template.njobs, template.nslots = len(groups), slots
	return [_CliJob(seq, group) for seq, group in enumerate(groups, 1)]


# --- Blocks of the input (--pipe, --pipepart) ---------------------------------------------------------
# Each job gets one block of the input on its standard input. The block is written to a file of a private
# temporary folder when a job slot frees, and the job's shell opens that file as its standard input
# (_CLI_STDIN). A file rather than a pipe: a job that does not read its input cannot stall the pool, a retried
# or restarted job reads its block again, and the pool holds in memory only the block being cut (about
# --block bytes, more only for a longer record) while the blocks of the running jobs wait in their files.
_CLI_READSIZE = 1 << 17  # Bytes read at a time while looking for a split point (GNU parallel's too)
# Seconds between two checks of a slow input for the rest of a block: the pool's loop goes on meanwhile
# (timeouts, finished jobs, signals), the main thread never blocks in a read
_CLI_INPUTPOLL = 0.05
# The job runs as /bin/sh -c _CLI_STDIN BLOCKFILE SHELL -c COMMAND: /bin/sh makes the block its standard
# input and replaces itself with the job's shell (no process more in the job's tree)
_CLI_STDIN = 'exec <"$0" && exec "$@"'


class _CliSplitter(object):
	"""Where the records of the input end, as GNU parallel: a split point is between a --recend and a
	--recstart text (regular expressions with --regexp); -L N: a record is N of those"""
	_ESCAPES = re.compile(rb'\\([0rnt\'"\\])')  # GNU parallel's escapes of --recend and --recstart
	_ESCAPED = {b'0': b'\0', b'r': b'\r', b'n': b'\n', b't': b'\t'}

	def __init__(self, recend, recstart, regexp=False, lines=1):
		if recend is None:
			recend = b'\n' if recstart is None else b''
		recstart = recstart or b''
		self.lines = lines  # int: split points per record (-L)
		self.pattern = None  # A compiled bytes regular expression (--regexp): its match ends at a split point
		self.recend = self.sep = None  # bytes: --recend, and --recend followed by --recstart
		if regexp:
			if not recend and not recstart:
				recend = b'(?s:.)'  # GNU's: a record ends anywhere
			try:
				self.pattern = re.compile(b'(?:' + recend + b')(?=' + recstart + b')')
			except re.error as err:
				raise _CliError('--recend {!r} with --recstart {!r} is not a regular expression: {}'.format(
					recend.decode('utf-8', 'replace'), recstart.decode('utf-8', 'replace'), err)) from None
		else:
			unescape = lambda txt: self._ESCAPES.sub(lambda m: self._ESCAPED.get(m.group(1), m.group(1)), txt)
			self.recend = unescape(recend)
			self.sep = self.recend + unescape(recstart)

	def _points(self, buf, start=0):
		"""The split points of buf after start (each one ends a non-empty record), in order"""
		if self.pattern is not None:
			for match in self.pattern.finditer(buf, start):
				if match.end() > start:
					yield match.end()
			return
		sep, tail = self.sep, len(self.recend)
		if not sep:  # A record ends anywhere: each byte
			yield from range(start + 1, len(buf) + 1)
			return
		i = buf.find(sep, start if tail else start + 1)
		while i >= 0:
			yield i + tail
			i = buf.find(sep, i + 1)

	def last(self, buf, start, stop):
		"""The last end of a record (of -L split points) in buf[start:stop], 0 if none"""
		if self.pattern is None and self.lines == 1:  # The common case, searched backwards
			if not self.sep:
				return min(stop, len(buf)) if len(buf) > start else 0
			i = buf.rfind(self.sep, start, stop - len(self.recend) + len(self.sep))
			return i + len(self.recend) if i >= 0 and i + len(self.recend) > start else 0
		end = 0
		for n, point in enumerate(self._points(buf, start), 1):
			if point > stop:
				break
			if n % self.lines == 0:
				end = point
		return end

	def first(self, buf):
		"""The first split point of buf, from its start (a record may have begun before), None if none"""
		if self.pattern is not None:
			match = self.pattern.search(buf)
			return match.end() if match else None
		i = buf.find(self.sep)
		return i + len(self.recend) if i >= 0 else None

	def nth(self, buf, count, start=0):
		"""The end of the count-th record of buf after start, 0 if buf holds fewer"""
		need = count * self.lines
		for n, point in enumerate(self._points(buf, start), 1):
			if n == need:
				return point
		return 0


class _CliBlocks(object):
	"""The jobs of --pipe and --pipepart, one per block of the input, cut one at a time by next() when a job
	slot frees (the input is never held whole)

	--pipe: standard input is read up to --block bytes (-N N: up to N records), and the block ends at the
	last split point in them; a record longer than the block grows the
	block as GNU parallel does. --pipepart: each block of a file starts where the previous one ended and
	ends at the first split point at least --block bytes later, found by seeking; its bytes are copied by
	the kernel (sendfile) into the block's file.
	"""

	_BLANKS = re.compile(rb'(?m)^\s*\n')  # The blank lines that -r drops

	def __init__(self, ns, slots, tmpdir=None, stdin=None):
		self.ns = ns
		# str: the private folder of the block files, absolute (the jobs may run in another --workdir); None:
		# the blocks are only cut (--dry-run)
		self.folder = tempfile.mkdtemp(prefix='mpepool-pipe.', dir=os.path.abspath(tmpdir)
			) if tmpdir is not None else None
		self.splitter = ns.splitter  # _CliSplitter
		self.seq = 0  # int: blocks cut
		self.ended = False  # The input ended: no block more
		# int: records per block (-N, or -n), None: by size
		self.count = next((getattr(ns, dest) for dest in ('maxreplace', 'maxargs') if dest in ns.given), None)
		self.size = ns.block  # int: bytes of a block (it grows on a longer record)
		self.buf = bytearray()  # --pipe: the input read, given up to pos
		self.pos = 0
		self._zeros = b''  # bytes(N): the room of a read appended to buf
		self.bylines = 'maxlines' in ns.given and not self.count  # -L alone: records of lines
		self.eof = False  # --pipe: the stream ended
		self.infd = None  # --pipe: the stream's descriptor
		self.parts = None  # --pipepart: an iterator of (descriptor, start, end) of the blocks
		if ns.pipepart:
			self.parts = self._fileParts(ns.pipefiles, slots)
		else:
			import select
			self.infd = (stdin if stdin is not None else sys.stdin.buffer).fileno()
			self._poller = select.poll()  # Whether the stream can be read without waiting
			self._poller.register(self.infd, select.POLLIN)

	@staticmethod
	def _open(path):
		"""A descriptor of an input file; _CliError if it cannot be read"""
		try:
			return os.open(path, os.O_RDONLY | os.O_CLOEXEC)
		except OSError as err:
			raise _CliError('cannot read the input file {!r}: {}'.format(path, err.strerror or err)) from None

	def next(self, timeout=None):
		"""The next job (_CliJob with its block), None at the end of the input, False if its block is not read
		yet within timeout seconds (None: waits); _CliError if the input cannot be read"""
		path = os.path.join(self.folder, str(self.seq + 1)) if self.folder is not None else None
		try:
			size = self._nextPart(path) if self.parts is not None else self._nextBlock(path, timeout)
		except OSError as err:
			raise _CliError('cannot cut block {} of the input: {}'.format(self.seq + 1, err)) from None
		if not size:
			self.ended = size is None
			return size
		self.seq += 1
		rec = _CliJob(self.seq, (('',),))  # One empty argument, as GNU parallel: {} is ''
		rec.block = (path, size)
		return rec

	def cut(self, timeout=None):
		"""--pipe: the next block of the stream as (pos, end) of buf (valid until the next cut); None at the
		end; False if the input has not brought the rest of the block within timeout seconds (None: waits)

		The block is cut as GNU parallel cuts it (read into a buffer of --block bytes, cut at its last split
		point; -N: after N records; -L alone: after its last whole record of L lines, also at the end of the
		input), so that both give the jobs the same blocks. The input read so far stays in buf: the next
		call goes on from there.
		"""
		buf = self.buf
		while True:
			pos = self.pos
			full = len(buf) - pos >= self.size
			if self.count:
				end = self.splitter.nth(buf, self.count, pos)
			elif full or (self.eof and self.bylines):
				end = self.splitter.last(buf, pos, pos + self.size)
				if not end and full:  # A record longer than the block: the block grows as in GNU parallel
					_warnmsg('mpepool: warning: a record is longer than the block of {} bytes: the block grows to {}'
						.format(self.size, math.ceil(self.size * 1.3 + 1)))
					self.size = math.ceil(self.size * 1.3 + 1)
					continue
			else:
				end = 0
			if not end and self.eof and len(buf) > pos:
				end = len(buf)
			if end or self.eof:
				break
			if timeout is not None and not self._poller.poll(timeout * 1000):
				return False
			del buf[:pos]  # Read the rest of the block (GNU's read size) after the uncut input
			self.pos = 0
			self.eof = not self._read(self.size - len(buf) % self.size)
			if self.ns.skipblank:  # -r: GNU parallel drops the blank lines of what it read
				buf[:] = self._BLANKS.sub(b'', buf)
		if not end:
			return None
		self.pos = end
		return pos, end

	def _read(self, want):
		"""Append up to want bytes of the stream to buf, read in place (not copied once more); the count read"""
		buf = self.buf
		size = len(buf)
		if len(self._zeros) < want:
			self._zeros = bytes(want)  # Zero pages until written: cheap to copy from, not resident
		buf += memoryview(self._zeros)[:want]
		count = 0
		try:
			with memoryview(buf) as view, view[size:] as room:
				count = os.readv(self.infd, (room,))
		finally:
			del buf[size + count:]
		return count

	def _nextBlock(self, path, timeout=None):
		"""--pipe: write the next block of the stream to path (None: nowhere); its size, None at the end, False
		if it is not read yet within timeout seconds"""
		cut = self.cut(timeout)
		if not cut:
			return cut
		pos, end = cut
		if path is not None:
			with memoryview(self.buf) as view, view[pos:end] as block:
				self._write(path, lambda fd: _writeAll(fd, block))
		return end - pos

	def waitInput(self, timeout):
		"""Wait up to timeout seconds for the stream to be readable"""
		if self.parts is None:
			self._poller.poll(timeout * 1000)

	def _nextPart(self, path):
		"""--pipepart: write the next block of the files to path (None: nowhere); its size, None after the last"""
		part = next(self.parts, None)
		if part is None:
			return None
		infd, start, end = part
		if path is not None:
			def copy(fd, pos=start):
				while pos < end:  # The kernel copies: the bytes do not pass through the pool
					sent = os.sendfile(fd, infd, pos, end - pos)
					if not sent:
						raise OSError(errno.EIO, 'the input file shrank while it was read')
					pos += sent
			self._write(path, copy)
		return end - start

	@staticmethod
	def _write(path, write):
		"""Create the block's file path and fill it by write(fd)"""
		fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
		try:
			write(fd)
		finally:
			os.close(fd)

	def _fileParts(self, paths, slots):
		"""The blocks (fd, start, end) of the files, in order"""
		size = self.size
		if size < 0:  # -N blocks per job slot: of the files' total size, as GNU parallel
			size = 1 + sum(os.path.getsize(path) for path in paths) // slots // -size
		for path in paths:
			fd = self._open(path)
			try:
				fsize = os.fstat(fd).st_size
				start = 0
				while start < fsize:
					end = start + size
					if end < fsize and (self.splitter.sep or self.splitter.pattern is not None):
						end = self._splitAfter(fd, end) or fsize
					end = min(end, fsize)
					yield fd, start, end
					start = end
			finally:
				os.close(fd)

	def _splitAfter(self, fd, pos):
		"""The first split point of the file fd whose --recend starts at pos or later, 0 if none"""
		buf = b''
		while True:
			chunk = os.pread(fd, _CLI_READSIZE, pos + len(buf))
			if not chunk:
				return 0
			buf += chunk
			point = self.splitter.first(buf)
			if point is not None:
				return pos + point

	def __iter__(self):
		return iter(self.next, None)

	def close(self):
		"""Close the input files (standard input is left open) and remove the folder of the blocks"""
		if self.parts is not None:
			self.parts.close()
		if self.folder is not None:
			shutil.rmtree(self.folder, ignore_errors=True)
			self.folder = None


class _CliRoundRobin(object):
	"""--pipe --roundrobin: one job per job slot, each reading a FIFO of its own for its whole life; a writer
	thread gives each block of the input to a job that took its previous block whole

	The writer opens a FIFO once its job opened it for reading (before, the open fails: ENXIO), writes
	without blocking (a job that stops reading cannot stall the others), and closes it at the end of the
	input, which ends the job's input. A job that finished takes no more blocks (what it did not read is
	lost, as with GNU parallel).
	"""
	POLL = 0.1  # Seconds between two checks for finished jobs while no FIFO can take more
	OPENPOLL = 0.005  # The same while a job has not opened its FIFO yet

	def __init__(self, blocks, slots):
		self.blocks = blocks  # _CliBlocks: the input, cut into blocks
		self.jobs = []  # _CliJob, one per job slot; rec.block: (FIFO path, bytes written to it)
		self.finished = set()  # seqs of the jobs that finished for good (set by the main thread)
		self.failed = None  # _CliError: the input could not be read
		self._stop = threading.Event()
		self._thread = None
		try:
			for seq in range(1, slots + 1):
				rec = _CliJob(seq, (('',),))
				rec.block = (os.path.join(blocks.folder, 'fifo{}'.format(seq)), 0)
				os.mkfifo(rec.block[0], 0o600)
				self.jobs.append(rec)
		except OSError as err:
			self.close()
			raise _CliError('cannot create the FIFOs of --roundrobin: {}'.format(err)) from None
		self._thread = threading.Thread(target=self._feed, name='mpepool-roundrobin', daemon=True)
		self._thread.start()

	def _feed(self):
		"""The writer thread: blocks to the FIFOs of the jobs that can take them, until the input ends"""
		import select
		recs = {rec.seq: rec for rec in self.jobs}
		fds = {}  # {seq: descriptor of its FIFO, opened for writing}
		data = {}  # {seq: memoryview of the rest of the job's current block}
		eof = False
		poller = select.poll()
		infd = self.blocks.infd
		poller.register(infd, 0)
		try:
			while recs and not self._stop.is_set():
				waiting = needinput = False
				for seq, rec in list(recs.items()):
					if seq not in fds and seq not in self.finished:
						try:
							fds[seq] = os.open(rec.block[0], os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
						except OSError as err:
							if err.errno != errno.ENXIO:
								raise
							waiting = True  # Its job did not open it yet
							continue
						poller.register(fds[seq], 0)
					if seq not in data and not eof and seq not in self.finished and not needinput:
						cut = self.blocks.cut(timeout=0)  # Waits below, with the writes, for a slow input
						if cut is None:
							eof = True
						elif cut is False:
							needinput = True
						else:
							data[seq] = memoryview(bytes(memoryview(self.blocks.buf)[cut[0]:cut[1]]))
					if seq in self.finished or (eof and seq not in data):  # No more input for it
						self._end(seq, recs, fds, data, poller)
					elif seq in fds:
						poller.modify(fds[seq], select.POLLOUT if seq in data else 0)
				poller.modify(infd, select.POLLIN if needinput else 0)
				for fd, _ in poller.poll((self.OPENPOLL if waiting else self.POLL) * 1000):
					if fd == infd:
						continue
					seq = next(seq for seq, sfd in fds.items() if sfd == fd)
					if seq not in data:  # POLLERR without a block to write: its job closed the FIFO
						self._end(seq, recs, fds, data, poller)
						continue
					try:
						sent = os.write(fd, data[seq])
					except BlockingIOError:
						continue
					except BrokenPipeError:  # The job stopped reading: it takes no more
						self._end(seq, recs, fds, data, poller)
						continue
					path, total = recs[seq].block
					recs[seq].block = (path, total + sent)
					data[seq] = data[seq][sent:]
					if not data[seq]:
						del data[seq]
		except (OSError, _CliError) as err:
			self.failed = _CliError('cannot read the input: {}'.format(err))
			_warnmsg('mpepool: error: {}'.format(self.failed))
		finally:
			for fd in fds.values():
				os.close(fd)

	@staticmethod
	def _end(seq, recs, fds, data, poller):
		"""The job seq takes no more input: its FIFO is closed (its end of input)"""
		data.pop(seq, None)
		recs.pop(seq)
		fd = fds.pop(seq, None)
		if fd is not None:
			poller.unregister(fd)
			os.close(fd)

	def release(self, rec):
		"""The job rec finished for good: it takes no more blocks"""
		self.finished.add(rec.seq)

	def close(self):
		"""Stop the writer (its FIFOs are closed) and remove the folder of the FIFOs"""
		self._stop.set()
		if self._thread is not None:
			self._thread.join()
		self.blocks.close()


def _cliLogRecord(line):
	"""A parsed job log line: (seq, exitval, signal, command); ValueError naming the bad field

	The GNU columns are split from the left and ours from the right, so a command may contain tabs.
	"""
	cols = line.split('\t', len(_JOBLOG_GNU) - 1)
	if len(cols) < len(_JOBLOG_GNU):
		raise ValueError('{} columns instead of at least {}'.format(len(cols), len(_JOBLOG_GNU)))
	fields = {}
	for name, kind in (('Seq', int), ('Starttime', float), ('JobRuntime', float), ('Send', int)
	, ('Receive', int), ('Exitval', int), ('Signal', int)):
		val = cols[_JOBLOG_GNU.index(name)]
		try:
			fields[name] = kind(val.strip())
		except ValueError:
			raise ValueError('{} is not a number: {!r}'.format(name, val)) from None
	if fields['Seq'] < 1:
		raise ValueError('Seq must be >= 1: {!r}'.format(fields['Seq']))
	return fields['Seq'], fields['Exitval'], fields['Signal'], cols[-1]


def _cliReadJoblog(path):
	"""The verdicts of a job log: {seq: succeeded (bool)}, True if a line of seq succeeded; _CliError if malformed

	A missing or empty log is an empty dict (nothing ran yet). Logs of GNU parallel are read as well.
	"""
	try:
		with open(path, 'rb') as flog:
			data = flog.read()
	except FileNotFoundError:
		return {}
	except OSError as err:
		raise _CliError('cannot read the job log {!r}: {}'.format(path, err.strerror or err)) from None
	if not data:
		return {}
	lines = data.decode('utf-8', 'surrogateescape').split('\n')
	if lines[-1]:
		raise _CliError('malformed job log {!r}: line {} is not terminated (a partial line)'
			.format(path, len(lines)))
	lines.pop()
	header = lines[0].split('\t')
	first = 2
	if tuple(header[:len(_JOBLOG_GNU)]) != _JOBLOG_GNU:
		if not header[0].strip().isdigit():  # GNU's `--joblog +FILE` starts a new file without a header
			raise _CliError('malformed job log {!r}: line 1 is not the header {!r}'
				.format(path, '\t'.join(_JOBLOG_GNU)))
		first = 1
	verdicts = {}
	for iln, line in enumerate(lines[first - 1:], first):
		try:
			seq, exitval, sig, _ = _cliLogRecord(line)
		except ValueError as err:
			raise _CliError('malformed job log {!r}: line {}: {}'.format(path, iln, err)) from None
		verdicts[seq] = verdicts.get(seq, False) or (exitval == 0 and sig == 0)  # Succeeded once: done (GNU's)
	return verdicts


def _cliLogLine(seq, tstart, runtime, receive, exitval, sig, command, rssmax, utime, stime, reason, host=':'
, send=0):
	"""One job log line (with its newline) in GNU parallel's formats, then ours

	tstart: epoch seconds; runtime, utime, stime: seconds; send: bytes of standard input (--pipe);
	receive: bytes of standard output;
	rssmax: GB (logged in MB, '-' when unknown); reason: why the pool stopped the job or None;
	host: where the job ran, ':' on this computer as GNU parallel writes it. A newline of the command is
	written as a NUL byte, as GNU parallel does, so that the line stays one line.
	"""
	return '{}\t{}\t{:.3f}\t{:10.3f}\t{}\t{}\t{}\t{}\t{}\t{}\t{:.3f}\t{:.3f}\t{}\n'.format(seq, host, tstart
		, runtime, send, receive, exitval, sig, command.replace('\n', '\0')
		, '-' if rssmax is None else '{:.3f}'.format(rssmax * 1024), utime or 0., stime or 0., reason or '-')


def _cliExitval(job):
	"""(Exitval, Signal) of a finished job as GNU parallel logs them

	A process that exited: (code, 0); killed by a signal of its own: (0, signal); stopped by the pool
	(timeout, memory limit, ...) or never started: (-1, the signal that ended it or 0).
	"""
	proc = getattr(job, 'proc', None)
	code = proc.returncode if proc is not None else None
	if job.reason is not None or code is None:
		return -1, -code if code is not None and code < 0 else 0
	return (0, -code) if code < 0 else (code, 0)


class _CliProgress(object):
	"""A progress line on a terminal: done/total, failures, running jobs, elapsed time and the time left

	It is redrawn by a helper thread a few times a second (so the estimate moves while long jobs run) and
	erased around the jobs' output, which the caller writes through output().
	"""
	PERIOD = 0.25  # Seconds between redraws

	def __init__(self, run, stream):
		self.run = run  # _CliRun: the counters shown
		self.stream = stream  # The terminal (a text stream), standard error
		self.lock = threading.Lock()  # Serializes the drawing and the jobs' output
		self.shown = False  # A progress line is on the screen
		self.stopped = threading.Event()
		self.thread = threading.Thread(target=self._loop, name='mpepool-progress', daemon=True)

	def start(self):
		"""Start redrawing"""
		self.thread.start()

	def _loop(self):
		"""The redrawing thread"""
		while not self.stopped.wait(self.PERIOD):
			self.draw()

	def line(self, width):
		"""The progress line fitted into width characters"""
		run = self.run
		total = max(run.total, 1)
		finished = run.done + run.failed
		elapsed = time.perf_counter() - run.tstart
		if finished and finished < run.total:
			eta = '{:d}:{:02d}:{:02d}'.format(*[int(v) for v in secondsToHms(-(-elapsed / finished
				* (run.total - finished) // 1))])  # Rounded up
		else:
			eta = '-' if finished < run.total else '0:00:00'
		tail = ' {}% {}/{} failed {} running {} ETA {}'.format(int(100 * finished / total), finished
			, run.total, run.failed, run.inflight, eta)
		barw = max(width - len(tail) - 3, 0)
		if barw < 10:
			return tail.strip()[:max(width - 1, 0)]
		full = barw * finished // total
		return '[' + '#' * full + '.' * (barw - full) + ']' + tail

	def draw(self, final=False):
		"""(Re)draw the progress line; the final one stays on the screen"""
		with self.lock:
			self._draw(final)

	def _draw(self, final=False):
		"""draw() with the lock held"""
		try:
			width = os.get_terminal_size(self.stream.fileno()).columns or 80  # 0: a terminal of unknown size
		except (OSError, ValueError):
			width = 80
		try:
			self.stream.write('\r' + self.line(width) + ('\x1b[K\n' if final else '\x1b[K'))
			self.stream.flush()
			self.shown = not final
		except (OSError, ValueError):  # The terminal is gone (hangup): the jobs go on
			pass

	def output(self, write):
		"""Call write() (the jobs' output) with the progress line erased, and draw it again after"""
		with self.lock:
			if self.shown:
				try:
					self.stream.write('\r\x1b[K')
					self.stream.flush()
				except (OSError, ValueError):
					pass
				self.shown = False
			write()
			if not self.stopped.is_set():
				self._draw()

	def stop(self):
		"""Stop redrawing and leave the final line on the screen"""
		self.stopped.set()
		if self.thread.is_alive():
			self.thread.join()
		self.draw(final=True)




def _cliTagged(data, tag, atline):
	"""data (bytes) with each line prefixed by tag: (the result, whether it ends at a line end)

	atline: bool  - data starts a line (the previous piece ended with a newline)
	"""
	out = data.replace(b'\n', b'\n' + tag)
	if atline:
		out = tag + out
	if data.endswith(b'\n'):
		return out[:len(out) - len(tag)], True
	return out, False


def _cliResultsName(val, namemax):
	"""A value as a folder name of --results, escaped as GNU parallel: \\ \\\\, tab \\t, NUL \\0, / \\_,
	and cut to the longest name of the file system (namemax bytes) as GNU does when the name is too long"""
	name = val.replace('\\', '\\\\').replace('\t', '\\t').replace('\0', '\\0').replace('/', '\\_')
	while len(name.encode('utf-8', 'surrogateescape')) > namemax:
		name = name[:-1]
	return name


class _CliJob(object):
	"""What the command line keeps about one job across its attempts (Job.params)"""
	__slots__ = ('seq', 'group', 'args', 'command', 'slot', 'attempt', 'runs', 'outfd', 'errfd', 'outpos'
		, 'errpos', 'held', 'job', 'block', 'pipes', 'zips')

	def __init__(self, seq, group):
		self.seq = seq  # int: the job's sequence number, from 1 in run order
		self.group = group  # tuple(tuple(str)): the input records of the job (-N N: up to N of them)
		self.args = sum(group, ()) if len(group) > 1 else group[0]  # tuple(str): its arguments, flat
		self.command = None  # str: the shell command, filled when it first starts
		self.slot = None  # int: its job slot ({%}), from 1, while it runs
		self.attempt = 0  # int: attempts started (--retries)
		self.runs = 0  # int: starts of the current attempt (more than one after restarts on timeout)
		self.outfd = None  # int: the descriptor of the job's standard output (a temporary or results file)
		self.errfd = None  # int: the same for standard error
		self.outpos = 0  # int: bytes of outfd printed already (--line-buffer)
		self.errpos = 0  # int: the same for errfd
		self.held = None  # (bytes, bytes): the outputs read into memory while waiting for its turn (-k)
		self.pipes = None  # (int, int): the write ends of the pipes to the compressors of outfd, errfd (--compress)
		self.zips = ()  # subprocess.Popen: the compressors writing outfd and errfd (--compress)
		self.job = None  # Job: the current attempt
		self.block = None  # (path, bytes): the file holding the job's block of input (--pipe), None if none


def _stdoutGone():
	"""Whether the reader of our standard output left: a pipe without a reader polls as POLLERR (pipe(7))"""
	try:
		poller = select.poll()
		poller.register(sys.stdout.fileno(), select.POLLOUT)
		return any(events & select.POLLERR for _, events in poller.poll(0))
	except (OSError, ValueError):
		return False


class _CliRun(object):
	"""One run of the command line over a list of jobs

	The pool gets one job per free slot: the next job is given to it from the onfinish callback of a
	finished one (callbacks run in this thread, inside join()), so that no queue of unstarted jobs exists
	(a halt starts nothing more), output descriptors are opened only for running jobs, and 100,000
	input lines cost no more than a few. --delay and --timeout N% use timers of the pool's event loop.
	"""

	def __init__(self, ns, jobs, joblog_truncate=True):
		self.ns = ns  # namespace: the checked options
		self.shell = _cliShell()  # str: the shell that runs the commands (checked before the log is opened)
		self.blocks = jobs if isinstance(jobs, _CliBlocks) else None  # The jobs cut one by one (--pipe)
		self.feeder = jobs if isinstance(jobs, _CliRoundRobin) else None  # Their writer (--pipe --roundrobin)
		self.pending = collections.deque(jobs.jobs if self.feeder else () if self.blocks else jobs)  # _CliJob
		# not given yet
		self.total = len(self.pending)  # int: jobs to run in this run (growing as the blocks are cut)
		self.inflight = 0  # int: jobs given to the pool and not finished
		self.started = 0  # int: jobs started (their first attempt)
		self.done = 0  # int: jobs that succeeded
		self.failed = 0  # int: jobs that failed (their last attempt)
		self.unfinished = 0  # int: jobs stopped by the pool's termination (signal, halt now): not logged
		self.unstarted = 0  # int: of them, those canceled in the pool's queue before they started
		self.stopping = None  # None, or why nothing more starts: 'halt' or 'signal'
		self.signum = None  # int: the signal that stopped the run
		self.haltstatus = None  # int: the exit status set when --halt stopped the run (GNU's rules)
		self.pool = None  # ExecPool
		self.slots = _cliSlots(ns.jobs, max(len(os.sched_getaffinity(0)), 1), self.total if self.blocks is None
			else _WKSNUM_MAX)  # int: jobs at once
		fdslots = _cliFdSlots(ns.keep_order)
		if self.slots > fdslots:  # As GNU parallel: fewer slots, all the jobs run
			if ns.jobs is None or int(ns.jobs.rstrip('%') or 0) != 0:
				_warnmsg('mpepool: warning: only enough file descriptors to run {} jobs at once (ulimit -n {}):'
					' -j {} lowered to {}'.format(fdslots, resource.getrlimit(resource.RLIMIT_NOFILE)[0]
					, ns.jobs, fdslots))
			self.slots = fdslots
		self._freeslots = list(range(1, self.slots + 1))  # A heap of the free job slots ({%}), lowest first
		heapq.heapify(self._freeslots)
		self.running = {}  # {seq: _CliJob}: the jobs given to the pool
		self.order = collections.deque(rec.seq for rec in self.pending) if ns.keep_order else None  # -k: seqs to print
		self.heldrecs = {}  # {seq: _CliJob}: finished jobs waiting for an earlier one to be printed (-k)
		self.runtimes = []  # Sorted runtimes of the jobs that succeeded (--timeout N%)
		self.tmout = None  # float: the timeout of --timeout N% once a job succeeded
		self._nextstart = 0.  # perf_counter() before which no job starts (--delay)
		self._wakeat = None  # perf_counter() of the pending start timer (--delay)
		self._inputtimer = False  # A timer waits for the input to bring the next block (--pipe)
		self.progress = None  # _CliProgress on a terminal with --bar
		self.tstart = time.perf_counter()
		self._feeding = False  # feed() is running (a start failure calls onfinish inside execute())
		self._outbroken = False  # Our standard output is a closed pipe: job outputs are dropped
		self._outlock = threading.Lock()  # Serializes the console output (the --line-buffer thread)
		self._linethread = None  # threading.Thread of --line-buffer
		self._linestop = threading.Event()
		self._tag = None  # bytes: the tag prefix of the job being printed (--tag)
		self._tmpdir = ns.tmpdir or os.environ.get('TMPDIR') or '/tmp'
		self._tmpfree = []  # Descriptors of emptied temporary files: cheaper to reuse than to create
		self._tmpfiles = {}  # {descriptor: io.FileIO} of the open temporary files: a job gets the file object,
		# which Job() takes as it is, where it checks a bare descriptor (fcntl, a search of the pools' own)
		self.logfd = None
		if ns.joblog:
			path, append = ns.joblog
			flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC
			if joblog_truncate and not append:
				flags |= os.O_TRUNC
			try:
				self.logfd = os.open(path, flags, 0o644)
				if os.fstat(self.logfd).st_size == 0:
					os.write(self.logfd, (_JOBLOG_HEADER + '\n').encode())
			except OSError as err:
				if self.logfd is not None:
					os.close(self.logfd)
				raise _CliError('cannot write the job log {!r}: {}'.format(path, err.strerror or err)) from None

	# --- Output descriptors of a job -------------------------------------------------------------------
	def _tmpfd(self):
		"""A descriptor of an empty anonymous temporary file (deleted when closed), reused across jobs"""
		if self._tmpfree:
			return self._tmpfree.pop()
		import io
		try:
			fd = os.open(self._tmpdir, os.O_TMPFILE | os.O_RDWR | os.O_CLOEXEC, 0o600)
		except (OSError, AttributeError):  # No O_TMPFILE here (old kernel, some file systems)
			import tempfile
			fd, path = tempfile.mkstemp(prefix='mpepool.', dir=self._tmpdir)
			os.unlink(path)
		self._tmpfiles[fd] = io.FileIO(fd, 'w', closefd=False)
		return fd

	def _openOutputs(self, rec):
		"""Open the descriptors the job writes its output to: results files, temporary files or none

		--results DIR: DIR/1/ARG1/2/ARG2/... as GNU parallel (each argument of the job with its position
		in its input record), holding stdout, stderr and seq (the job's sequence number).
		"""
		if self.ns.results:
			os.makedirs(self.ns.results, exist_ok=True)
			namemax = os.pathconf(self.ns.results, 'PC_NAME_MAX')
			names = self.ns.colnames
			parts = [part for record in rec.group for i, val in enumerate(record, 1)
				for part in (_cliResultsName(names[i - 1], namemax) if i <= len(names) else str(i)
				, _cliResultsName(val, namemax))] if rec.block is None else []  # --pipe: DIR itself,
			# as GNU parallel (its jobs have no argument)
			jdir = os.path.normpath(self.ns.results + '/' + '/'.join(parts))
			os.makedirs(jdir, exist_ok=True)
			flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC
			with open(os.path.join(jdir, 'seq'), 'w') as fseq:
				fseq.write(str(rec.seq))
			rec.outfd = os.open(os.path.join(jdir, 'stdout'), flags, 0o644)
			rec.errfd = os.open(os.path.join(jdir, 'stderr'), flags, 0o644)
		elif not self.ns.ungroup:
			rec.outfd = self._tmpfd()
			rec.errfd = self._tmpfd()
			if self.ns.compress:  # As GNU parallel: the job writes to a compressor that writes the file
				pipes = [os.pipe2(os.O_CLOEXEC) for _ in range(2)]
				rec.pipes = (pipes[0][1], pipes[1][1])
				try:
					rec.zips = tuple(subprocess.Popen(('gzip', '-1', '-c'), stdin=rfd, stdout=fd
						, stderr=subprocess.DEVNULL, start_new_session=True) for (rfd, _), fd in zip(pipes, (
						rec.outfd, rec.errfd)))
				finally:
					for rfd, _ in pipes:
						os.close(rfd)
		rec.outpos = rec.errpos = 0

	def _endCompress(self, rec):
		"""--compress: close the job's pipes and wait until its compressors wrote their files"""
		for fd in rec.pipes or ():
			os.close(fd)
		rec.pipes = None
		for zproc in rec.zips:
			zproc.wait()
		rec.zips = ()

	def _inflate(self, data):
		"""The job output bytes that a temporary file held (decompressed with --compress)"""
		import zlib
		return zlib.decompress(data, 31) if self.ns.compress and data else data

	def _closeOutputs(self, rec, empty=(False, False)):
		"""Close the job's output descriptors; temporary files are emptied and kept for the next jobs

		empty: (bool, bool)  - the standard output / error files are known to be empty: not truncated (an
			ftruncate costs ~8 µs on ext4 even then); rewound still, as a job may have emptied its file
		"""
		self._endCompress(rec)
		for fd, known in zip((rec.outfd, rec.errfd), empty):
			if fd is None:
				continue
			if self.ns.results or len(self._tmpfree) >= 2 * self.slots + 2:
				self._tmpfiles.pop(fd, None)
				os.close(fd)
				continue
			try:
				if not known:
					os.ftruncate(fd, 0)
				os.lseek(fd, 0, os.SEEK_SET)
			except OSError:
				self._tmpfiles.pop(fd, None)
				os.close(fd)
			else:
				self._tmpfree.append(fd)
		rec.outfd = rec.errfd = None

	# --- Printing ----------------------------------------------------------------------------------------
	def _output(self, write):
		"""Call write() (that prints) serialized with the other printers, the progress line erased meanwhile"""
		if self.progress:
			self.progress.output(write)
		else:
			with self._outlock:
				write()

	def _write(self, stream, data):
		"""Write bytes to stream (standard output or error) at once, past its buffer"""
		if not data or (self._outbroken and stream is sys.stdout):
			return
		try:
			stream.flush()
			ofd = stream.fileno()
			view = memoryview(data)
			while view:
				view = view[os.write(ofd, view):]
		except BrokenPipeError:  # The reader of our output left (e.g. `| head`): SIGPIPE stops the run
			if stream is sys.stdout:
				self._outbroken = True
				if threading.current_thread() is not threading.main_thread():  # The --line-buffer thread: the
					# kernel signalled it, the main thread must wake from its wait to handle it
					signal.pthread_kill(threading.main_thread().ident, signal.SIGPIPE)
		except (OSError, ValueError) as err:
			_warnmsg('mpepool: cannot write the output of a job: {}'.format(err))

	def _copyOut(self, fd, stream, start, end):
		"""Copy bytes start..end of the output file fd to stream, tagged (--tag); returns the end copied

		With --compress, the file is gzip's: decompressed on the way (start is 0 then)."""
		pos = start
		atline = True
		inflater = None
		if self.ns.compress:
			import zlib
			inflater = zlib.decompressobj(31)
		while pos < end:
			chunk = os.pread(fd, min(end - pos, 1 << 20), pos)
			if not chunk:
				break
			pos += len(chunk)
			if inflater is not None:
				chunk = inflater.decompress(chunk)
				if not chunk:
					continue
			if self._tag is not None:
				chunk, atline = _cliTagged(chunk, self._tag, atline)
			self._write(stream, chunk)
		return pos

	def _tagOf(self, rec):
		"""The --tag / --tagstring prefix of rec's output lines (with its tab), or None"""
		if self.ns.tagstring is None:
			return None
		return (self.ns.tagstring.fill(rec.args, rec.seq, rec.slot) + '\t').encode('utf-8', 'surrogateescape')

	def _emit(self, rec):
		"""Print what rec did not print yet: its command (-v), standard output and error; returns which of
		its output files are known to be empty (see _closeOutputs)"""
		ends = None
		if rec.held is None and rec.outfd is not None:
			ends = self._endOf(rec.outfd), self._endOf(rec.errfd)
			if ends[0] <= rec.outpos and ends[1] <= rec.errpos and not self.ns.print_command:
				return ends[0] == 0, ends[1] == 0  # Nothing to print: no tag to fill
		self._tag = self._tagOf(rec)
		try:
			if self.ns.print_command:
				self._write(sys.stdout, self._tagged(rec.command + '\n'))
			if rec.held is not None:
				for data, stream in zip(rec.held, (sys.stdout, sys.stderr)):
					data = self._inflate(data)
					self._write(stream, self._tag and _cliTagged(data, self._tag, True)[0] or data)
			elif ends is not None:
				self._copyOut(rec.outfd, sys.stdout, rec.outpos, ends[0])
				self._copyOut(rec.errfd, sys.stderr, rec.errpos, ends[1])
				return ends[0] == 0, ends[1] == 0
		finally:
			self._tag = None
		return False, False

	def _tagged(self, text):
		"""A line of ours (str) as bytes, tagged like the job's output"""
		data = text.encode('utf-8', 'surrogateescape')
		return _cliTagged(data, self._tag, True)[0] if self._tag is not None else data

	def _printFinished(self, rec):
		"""Print a finished job's output (-k: with the earlier ones, once they all finished) and close it"""
		if self.ns.results or self.ns.ungroup and not self.ns.print_command:
			self._closeOutputs(rec)
			return
		if self.order is None:
			self._output(lambda: self._closeOutputs(rec, self._emit(rec)))
			return
		self.heldrecs[rec.seq] = rec
		if len(self.heldrecs) > _CLI_HELDFDS and rec.outfd is not None:  # Its outputs wait in memory
			rec.held = tuple(os.pread(fd, os.fstat(fd).st_size, 0) for fd in (rec.outfd, rec.errfd))
			self._closeOutputs(rec)
		self._printHeld()

	def _printHeld(self, final=False):
		"""-k: print the held jobs whose turn came (final: all of them, in order, at the end of the run)"""
		order = self.order
		while order and (order[0] in self.heldrecs or final):
			seq = order.popleft()
			rec = self.heldrecs.pop(seq, None)
			if rec is not None:
				self._output(lambda: self._closeOutputs(rec, self._emit(rec)))

	def _lineLoop(self):
		"""--line-buffer: print the complete lines of the running jobs a few times a second"""
		while not self._linestop.wait(_CLI_LINEPERIOD):
			for rec in list(self.running.values()):
				self._output(lambda: self._flushLines(rec))

	def _flushLines(self, rec):
		"""Print the complete lines that rec wrote since the last flush (with the output lock held)"""
		if rec.outfd is None:
			return
		self._tag = self._tagOf(rec)
		try:
			for stream, attr, fd in ((sys.stdout, 'outpos', rec.outfd), (sys.stderr, 'errpos', rec.errfd)):
				pos = getattr(rec, attr)
				size = os.fstat(fd).st_size
				if size <= pos:
					continue
				data = os.pread(fd, size - pos, pos)
				cut = data.rfind(b'\n') + 1
				if cut:
					self._write(stream, _cliTagged(data[:cut], self._tag, True)[0] if self._tag else data[:cut])
					setattr(rec, attr, pos + cut)
		finally:
			self._tag = None

	# --- Feeding the pool ------------------------------------------------------------------------------
	def _onstart(self, job):
		"""Job.onstart: a restart after a timeout (--restart-timeout) starts the output afresh"""
		rec = job.params
		rec.runs += 1
		if rec.runs > 1:  # The output of the stopped run is dropped

			def restart():
				for fd in (rec.outfd, rec.errfd):
					if fd is not None:
						os.ftruncate(fd, 0)
						os.lseek(fd, 0, os.SEEK_SET)
				rec.outpos = rec.errpos = 0
			self._output(restart)
		if self.tmout is not None:
			self._timer(job.tstart + self.tmout, self._checkTimeout, job, run=job._run)

	def _timer(self, when, func, *args, run=None):
		"""Call func(*args) from the pool's event loop at perf_counter() when (unless run ended by then)"""
		self.pool._schedule(when, functools.partial(func, *args), run)

	def _checkTimeout(self, job):
		"""--timeout N%: stop job (its run) if it runs longer than the current timeout"""
		if (self.tmout is not None and job in self.pool._workers and not job.terminates
		and time.perf_counter() >= job.tstart + self.tmout):
			job.timeout = self.tmout  # For the pool's report; a restart (--restart-timeout) is timed here again
			try:
				self.pool._onJobTimeout(job)
			finally:
				job.timeout = 0

	def _execute(self, rec):
		"""Give one attempt of rec to the pool"""
		ns = self.ns
		if rec.slot is None:
			rec.slot = heapq.heappop(self._freeslots)
			self.started += 1
		if rec.command is None:
			rec.command = ns.template.fill(rec.args, rec.seq, rec.slot)
		rec.attempt += 1
		rec.runs = 0
		try:
			self._openOutputs(rec)
		except OSError as err:  # The job fails, logged and counted; the others run
			self._closeOutputs(rec)
			_warnmsg('mpepool: cannot open the output files of job {}: {}'.format(rec.seq, err))
			job = Job('{} {}'.format(rec.seq, rec.command[:45]), args=(self.shell, '-c', rec.command), params=rec)
			job.reason = 'output error'
			self.inflight += 1
			self._onfinish(job)
			return
		if ns.trace:
			self._output(lambda: self._write(sys.stderr, (rec.command + '\n').encode('utf-8', 'surrogateescape')))
		kwargs = {}
		if rec.outfd is not None:
			out, err = rec.pipes or (rec.outfd, rec.errfd)
			kwargs['stdout'], kwargs['stderr'] = self._tmpfiles.get(out, out), self._tmpfiles.get(err, err)
		name = '{} {}'.format(rec.seq, rec.command if len(rec.command) <= 48 else rec.command[:45] + '...')
		args = (self.shell, '-c', ns.penv + '\n' + rec.command if ns.penv else rec.command)
		if ns.nice is not None:
			args = ('nice', '-n', str(ns.nice)) + args
		if rec.block is not None:
			args = ('/bin/sh', '-c', _CLI_STDIN, rec.block[0]) + args
		job = Job(name, workdir=ns.workdir, args=args, timeout=ns.timeout[0] or 0, rsrtonto=ns.restart_timeout
			, params=rec, memlim=ns.memlim, onstart=self._onstart if ns.restart_timeout or ns.timeout[1] else None
			, onfinish=self._onfinish, **kwargs)  # onstart matters only to restarts and --timeout N%
		rec.job = job
		self.inflight += 1
		self.running[rec.seq] = rec
		if self.pool.execute(job) == errno.EINTR and not self.pool.alive:  # Terminated by a signal meanwhile
			self.inflight -= 1
			del self.running[rec.seq]
			rec.attempt -= 1
			self._closeOutputs(rec)
			self.pending.appendleft(rec)

	def feed(self):
		"""Give the pool jobs while it has free slots and nothing stops the run (--delay: spaced in time)"""
		if self._feeding:  # Reentered from onfinish inside execute(): the outer loop goes on
			return
		self._feeding = True
		try:
			while not self.stopping and self.inflight < self.slots and (self.pending or self._cutBlock()):
				if self.ns.delay:
					now = time.perf_counter()
					if now < self._nextstart:
						if self._wakeat != self._nextstart:
							self._wakeat = self._nextstart
							self._timer(self._nextstart, self.feed)
						break
					self._nextstart = now + self.ns.delay
				self._execute(self.pending.popleft())
		finally:
			self._feeding = False

	def _cutBlock(self):
		"""--pipe: add the job of the next block of the input to pending; False at the end of the input"""
		if self.blocks is None:
			return False
		try:
			rec = self.blocks.next(timeout=0)  # The pool's loop must not wait for a slow input
		except _CliError as err:  # The jobs started go on; nothing more starts, the exit status is 255
			_warnmsg('mpepool: error: {}'.format(err))
			self.stopping = 'input'
			self.haltstatus = _CLI_EUSAGE
			return False
		if rec is False:  # The block is not read whole yet: try again soon
			if not self._inputtimer:
				self._inputtimer = True
				self._timer(time.perf_counter() + _CLI_INPUTPOLL, self._inputPoll)
			return False
		if rec is None:
			return False
		self.pending.append(rec)
		self.total += 1
		if self.order is not None:
			self.order.append(rec.seq)
		return True

	def _inputPoll(self):
		"""The timer of a block not read whole: feed the pool if the input brought it"""
		self._inputtimer = False
		self.feed()

	def _dropBlock(self, rec):
		"""The job is over for good: its block's file is removed (--pipe), its FIFO takes no more (--roundrobin)"""
		if self.feeder is not None:
			self.feeder.release(rec)
		elif rec.block is not None and rec.block[0] is not None:
			with contextlib.suppress(FileNotFoundError):
				os.unlink(rec.block[0])

	def _onfinish(self, job):
		"""Job.onfinish: retry, or print, log and count the job, check the halt policy, feed the pool"""
		rec = job.params
		self.inflight -= 1
		self.running.pop(rec.seq, None)
		proc = getattr(job, 'proc', None)
		if job.reason in _CLI_UNFINISHED or (self.stopping == 'signal' and job.reason is not None):
			self.unfinished += 1  # Interrupted by us: no verdict, --resume runs it again
			if job.tstart is None:
				self.unstarted += 1
			self._output(lambda: self._closeOutputs(rec))
			self._dropBlock(rec)
			return
		ok = job.reason is None and proc is not None and proc.returncode == 0
		if not ok and rec.attempt < self._retries(rec) and not self.stopping:
			self._output(lambda: self._closeOutputs(rec))
			self.pending.appendleft(rec)  # Retried first, at the next free slot
			self.feed()
			return
		heapq.heappush(self._freeslots, rec.slot)
		self._dropBlock(rec)
		if job.reason == 'timeout':  # GNU parallel's diagnostics, on stderr
			self._diagnose('mpepool: Warning: This job was killed because it timed out:', 'mpepool: Warning: '
				+ rec.command)
		elif not ok and self.ns.halt and self.ns.halt[1] == 'fail':
			self._diagnose('mpepool: This job failed:', rec.command)
		self._endCompress(rec)
		receive = 0  # The job log's Receive, read before the output is printed and its file emptied
		if self.logfd is not None and rec.outfd is not None:
			receive = self._outputSize(rec.outfd)
		if self.logfd is not None and self.ns.print_command:  # GNU parallel counts the printed command as
			# output of the job
			receive += len(rec.command.encode('utf-8', 'surrogateescape')) + 1
		self._printFinished(rec)
		runtime = getattr(job, 'wtime', None)
		if runtime is None:
			runtime = job.tstop - job.tstart if job.tstart is not None and job.tstop is not None else 0.
		exitval, sig = _cliExitval(job)
		if ok:
			self.done += 1
			if self.ns.timeout[1]:
				self._retime(runtime)
		else:
			self.failed += 1
		if self.logfd is not None:
			tstart = wallclock(job.tstart) if job.tstart is not None else time.time()
			line = _cliLogLine(rec.seq, tstart, runtime, receive, exitval, sig, rec.command
				, job.rssmax, job.utime, job.stime, job.reason, self.pool._launcher.host(job) or ':'
				, send=rec.block[1] if rec.block is not None and not self.ns.pipepart else 0)  # GNU's: no
				# Send with --pipepart (its jobs read their part of the file themselves)
			os.write(self.logfd, line.encode('utf-8', 'surrogateescape'))
		if self.ns.halt and not self.stopping and self._halts(ok, exitval, sig):
			return
		self.feed()

	@staticmethod
	def _endOf(fd):
		"""The size of a finished job's output file fd: lseek(SEEK_END) costs a quarter of an fstat; the job
		ended, so the file offset it shared is ours (_closeOutputs rewinds it for the next job)"""
		return os.lseek(fd, 0, os.SEEK_END)

	def _outputSize(self, fd):
		"""Bytes of a finished job's output in its file fd (decompressed with --compress)"""
		size = self._endOf(fd)
		if not self.ns.compress:
			return size
		import zlib
		inflater = zlib.decompressobj(31)
		total = 0
		for pos in range(0, size, 1 << 20):
			total += len(inflater.decompress(os.pread(fd, 1 << 20, pos)))
		return total

	def _diagnose(self, *lines):
		"""Print lines on stderr (GNU parallel's diagnostics, worded as GNU's with our name)"""
		text = ''.join(line + '\n' for line in lines)
		self._output(lambda: self._write(sys.stderr, text.encode('utf-8', 'surrogateescape')))

	def _retries(self, rec):
		"""The attempts of rec at most (--retries): its replacement strings filled, the number read as Perl
		does (GNU parallel: leading digits, else 0), 0 being 1"""
		if self.ns.retrystr is None:
			return self.ns.retries
		import re
		num = re.match(r'\s*\+?([0-9]+)', self.ns.retrystr.fill(rec.args, rec.seq, rec.slot))
		return max(int(num.group(1)) if num else 0, 1)

	def _retime(self, runtime):
		"""--timeout N%: a job succeeded in runtime; the running jobs get the timeout of the new median"""
		bisect.insort(self.runtimes, runtime)
		self.tmout = self.ns.timeout[1] * self.runtimes[(len(self.runtimes) - 1) // 2]
		for rec in self.running.values():
			job = rec.job
			if job.tstart is not None and job.proc is not None:
				self._timer(job.tstart + self.tmout, self._checkTimeout, job, run=job._run)

	def _halts(self, ok, exitval, sig):
		"""--halt: whether this finished job stops the run (GNU parallel's rules and exit statuses)"""
		import math
		when, why, count, frac = self.ns.halt
		if why == 'fail':
			if ok:
				return False
			reached = self.failed
		elif why == 'success':
			if not ok:
				return False
			reached = self.done
		else:
			reached = self.done + self.failed
		if reached < (count or frac * self.total):
			return False
		if why == 'success':
			self.haltstatus = 0
		elif count == 1:  # The status of the job, a signal as 128 + N (as the shells)
			self.haltstatus = exitval & 0xFF if exitval else 128 + sig if sig else 0
		elif frac:
			self.haltstatus = math.ceil(self.failed * 100. / self.total)
		else:
			self.haltstatus = min(self.failed, _CLI_FAILMAX + 1)
		self.stopping = 'halt'
		if when == 'now':
			self.pool.terminate()
		return True

	# --- The run -----------------------------------------------------------------------------------------
	def _onsignal(self, signum, frame):
		"""SIGINT/SIGTERM/SIGHUP: start nothing more and terminate the pool

		The pool defers a termination asked in the middle of its work to the end of that step, and ends
		its wait for events at once.
		"""
		if self.stopping == 'signal':
			return  # A second signal while terminating changes nothing
		if signum == signal.SIGPIPE and not self._outbroken and not _stdoutGone():
			return  # A write to another pipe (a --roundrobin job that stopped reading): its writer handles EPIPE
		self.stopping = 'signal'
		self.signum = signum
		if self.pool is not None:
			self.pool.terminate()

	def execute(self, webuiapp=None):
		"""Run all the jobs; returns the exit status"""
		import math
		ns = self.ns
		if ns.workdir is not None:
			try:
				os.makedirs(ns.workdir, exist_ok=True)
			except OSError as err:
				raise _CliError('cannot create the --workdir {!r}: {}'.format(ns.workdir, err.strerror or err)
					) from None
		if ns.progress and sys.stderr.isatty():
			self.progress = _CliProgress(self, sys.stderr)
		handlers = {}
		for signum in _CLI_SIGNALS:
			handlers[signum] = signal.signal(signum, self._onsignal)
		try:
			launcher = None
			if ns.slurm or ns.slurm_pernode:
				launcher = SlurmLauncher(ns.slurm_partition, ns.slurm_account, options=ns.slurm_option
					, pernode=ns.slurm_pernode, nodes=ns.slurm_nodes)
			try:
				self.pool = ExecPool(self.slots, afnmask=ns.afnstep or None, memlimit=ns.memlimit, name='mpepool'
					, webuiapp=webuiapp, cgroups=ns.cgroups, launcher=launcher)
			except (RuntimeError, ValueError) as err:  # Slurm refused the allocation, or the partition is unknown
				raise _CliError(str(err)) from None
			self.slots = min(self.slots, self.pool._wkslim)
			if self.progress:
				self.progress.start()
			if ns.line_buffer and not ns.ungroup and not ns.results:
				self._linethread = threading.Thread(target=self._lineLoop, name='mpepool-lines', daemon=True)
				self._linethread.start()
			while not self.stopping:
				self.feed()
				if not self.inflight:
					if self.pending and ns.delay and not self.stopping:
						time.sleep(max(self._nextstart - time.perf_counter(), 0.))
						continue
					if self.blocks is not None and not self.blocks.ended and not self.stopping:
						self.blocks.waitInput(_CLI_INPUTPOLL)  # No job runs: wait for the input here
						continue
					break
				self.pool.join()
			self.pool.terminate()  # Nothing runs any more, unless a signal came outside join()
			if self.order is not None:
				self._printHeld(final=True)
		finally:
			if self._linethread is not None:
				self._linestop.set()
				self._linethread.join()
			for fd in self._tmpfree:
				os.close(fd)
			self._tmpfree = []
			self._tmpfiles.clear()
			for signum, handler in handlers.items():
				signal.signal(signum, handler)
			if self.progress:
				self.progress.stop()
			if self.logfd is not None:
				os.close(self.logfd)
				self.logfd = None
		if self.signum is not None and self.signum != signal.SIGPIPE:  # Silent, as a process killed by SIGPIPE
			_warnmsg('mpepool: stopped by {}: {} finished, {} interrupted, {} not started'.format(
				signal.Signals(self.signum).name, self.done + self.failed, self.unfinished - self.unstarted
				, len(self.pending) + self.unstarted))
		if self.signum is not None:
			return 128 + self.signum
		if self.haltstatus is not None:
			return self.haltstatus
		if ns.halt and ns.halt[3]:  # --halt ...=N% not reached: the percentage of the started jobs that failed
			return math.ceil(self.failed * 100. / max(self.started, 1))
		if self.feeder is not None and self.feeder.failed:  # The input could not be read whole
			return _CLI_EUSAGE
		return min(self.failed, _CLI_FAILMAX + 1)


def _cliDryRun(ns, jobs):
	"""--dry-run: print the command of each job (tagged with --tag) instead of running it; returns 0"""
	out = []
	for rec in jobs:
		line = ns.template.fill(rec.args, rec.seq, 1) + '\n'
		out.append(ns.tagstring.fill(rec.args, rec.seq, 1) + '\t' + line if ns.tagstring else line)
	sys.stdout.flush()
	data = ''.join(out).encode('utf-8', 'surrogateescape')
	view = memoryview(data)
	try:
		while view:
			view = view[os.write(sys.stdout.fileno(), view):]
	except BrokenPipeError:
		pass
	return 0


def _cliDemo(ns, webuiapp=None):
	"""`mpepool --demo`: a small batch that shows what the pool does, then a summary; returns 0

	Jobs that succeed, a job and a task that exceed their time limits, a job restarted after its timeout,
	chained constraints (the heavier jobs of a category stopped with the one that failed), and a job that
	exceeds its memory limit, grouped in tasks; the Web UI runs on localhost when bottle is available and
	stays up after the batch until Enter is pressed, when standard input is a terminal.
	"""
	import tempfile
	tstart = time.perf_counter()
	py = sys.executable

	def snippet(code):
		return (py, '-c', code)

	def sleeper(secs):
		return snippet('import time; time.sleep({})'.format(secs))

	rows = []  # Finished jobs, in finishing order

	def onstart(job):
		if job.params.get('runs'):
			print('[{:6.2f}s] restart {}  (after its timeout)'.format(time.perf_counter() - tstart, job.name)
				, flush=True)
		job.params['runs'] = job.params.get('runs', 0) + 1

	def onfinish(job):
		code = job.proc.returncode if job.proc is not None else None
		result = job.reason or ('exit {}'.format(code) if code is not None else 'not run')
		rows.append((job, result))
		print('[{:6.2f}s] {:<8}{:<32}{}'.format(time.perf_counter() - tstart, 'done' if job.reason is None
			and code == 0 else 'failed', '{}/{}'.format(job.task.name if job.task else '-', job.name), result)
			, flush=True)

	with tempfile.TemporaryDirectory(prefix='mpepool-demo.') as tmp:
		if webuiapp is None and _WEBUI:
			try:
				import mpewui
				webuiapp = mpewui.WebUiApp(host='localhost', port=_cliFreePort(), name='mpepool-demo'
					, daemon=True)
			except Exception as err:  # The demo runs without its UI
				_warnmsg('mpepool: the Web UI is not available: {}'.format(err))
				webuiapp = None
		flag = os.path.join(tmp, 'restarted')
		root = Task('demo')
		tasks = {name: Task(name, task=root, timeout=timeout) for name, timeout in (('succeed', 0)
			, ('timeouts', 0), ('chained', 0), ('memory', 0), ('deadline', 2.))}
		jobs = [Job('compute {}'.format(i), args=snippet('import time; time.sleep({}); print("result {}")'
			.format(0.3 * i, i)), task=tasks['succeed']) for i in range(1, 5)]
		jobs += [Job('sleeper', args=sleeper(30), timeout=1, task=tasks['timeouts'])
			, Job('flaky', args=snippet('import os, sys, time\nif not os.path.exists(sys.argv[1]):\n'
				'  open(sys.argv[1], "w").close(); time.sleep(30)', ) + (flag,), timeout=1, rsrtonto=True
				, task=tasks['timeouts'])
			, Job('sim small', args=sleeper(30), timeout=1.5, category='sim', size=1, task=tasks['chained'])
			, Job('sim tiny', args=sleeper(0.5), category='sim', size=0.5, task=tasks['chained'])
			, Job('sim large', args=sleeper(30), category='sim', size=3, task=tasks['chained'])
			, Job('hog 300 MB', args=snippet('import time; x = b"1" * (300 << 20); time.sleep(4)'), memlim=0.1
				, category='mem', size=1, task=tasks['memory'])
			, Job('light 20 MB', args=snippet('import time; x = b"1" * (20 << 20); time.sleep(1)'), memlim=0.1
				, task=tasks['memory'])
			, Job('long A', args=sleeper(30), task=tasks['deadline'])
			, Job('long B', args=sleeper(30), task=tasks['deadline'])]
		for job in jobs:
			job.params = {}
			job.onstart = types.MethodType(onstart, job)
			job.onfinish = types.MethodType(onfinish, job)
			job.stdout = subprocess.DEVNULL
		wksnum = max(_cliSlots(ns.jobs, max(len(os.sched_getaffinity(0)), 1), 6), 6)
		interactive = sys.stdin.isatty()
		print('mpepool demo: {} jobs in {} tasks on {} workers (finishes in about {:.0f} s){}'.format(len(jobs)
			, len(tasks) + 1, wksnum, _CLI_DEMO_SECONDS, '\nWeb UI: {} ({})'.format(webuiapp.url
			, 'it stays up after the demo until you press Enter' if interactive else 'it stops with the demo:'
			' standard input is not a terminal') if hasattr(webuiapp, 'url') else ''), flush=True)
		with ExecPool(wksnum, memlimit=ns.memlimit, latency=0.25, name='mpepool-demo', webuiapp=webuiapp
		) as pool:
			for job in jobs:
				pool.execute(job)
			pool.join(60)
	print('\nSummary of the demo, {:.1f} s:'.format(time.perf_counter() - tstart))
	cols = ('task', 'job', 'result', 'wall s', 'user s', 'sys s', 'peak RSS MB')
	table = [cols] + [(job.task.name if job.task else '-', job.name, result, '{:.2f}'.format(job.wtime or 0)
		, '{:.2f}'.format(job.utime or 0), '{:.2f}'.format(job.stime or 0), '-' if job.rssmax is None else '{:.1f}'.format(job.rssmax * 1024))
		for job, result in sorted(rows, key=lambda row: (row[0].task.name if row[0].task else '', row[0].name))]
	widths = [max(len(row[i]) for row in table) for i in range(len(cols))]
	for row in table:
		print('  ' + '  '.join(val.ljust(w) if i < 3 else val.rjust(w) for i, (val, w) in enumerate(zip(row, widths))))
	for task in (root,) + tuple(tasks.values()):
		print('  task {:<9} {} of {} items succeeded, {:.2f} s'.format(task.name, task.numdone, task.numadded
			, (task.tstop or time.perf_counter()) - (task.tstart or tstart)))
	results = collections.Counter(result for _, result in rows)
	print('  {} jobs: {}'.format(len(rows), ', '.join('{} {}'.format(n, result)
		for result, n in sorted(results.items()))))
	if not (_LIMIT_WORKERS_RAM and any(result == 'memory limit' for result in results)):
		print('  (memory limits are not enforced here{})'.format('' if _LIMIT_WORKERS_RAM else ': psutil is missing'))
	print('\nThe command line takes GNU parallel\'s syntax (see mpepool --help), e.g.:\n  ' + _CLI_DEMO_COMMAND
		, flush=True)
	if hasattr(webuiapp, 'url') and sys.stdin.isatty():
		print('\nThe Web UI still shows the demo at {}/ - press Enter to stop it.'.format(webuiapp.url), flush=True)
		try:
			sys.stdin.readline()
		except KeyboardInterrupt:
			pass
	return 0


# The demo's length as measured (`mpepool --demo` on an idle 2-core machine: 3.2 s), said in its text and
# in README.md; and its closing suggestion, which runs as printed (a test runs it)
_CLI_DEMO_SECONDS = 3
_CLI_DEMO_COMMAND = "mpepool -j6 --timeout 5 --joblog demo.log --tag 'sleep 0.{2}; echo {1}{2}' ::: a b ::: 1 2 3"


def _cliEnvironment(ns):
	"""GNU parallel's environment: $PARALLEL_HOME is created when missing; $PARALLEL_ENV (set by
	env_parallel: shell definitions, or the file holding them; \\001 stands for a newline) is put before each
	command (ns.penv) and not passed on to the jobs"""
	home = os.environ.get('PARALLEL_HOME')
	if home:
		try:
			os.makedirs(home, exist_ok=True)
		except OSError as err:
			_warnmsg('mpepool: warning: $PARALLEL_HOME ({}) cannot be created: {}'.format(home, err.strerror or err))
	penv = os.environ.pop('PARALLEL_ENV', '')
	if penv and os.path.exists(penv):
		try:
			with open(penv, 'rb') as fenv:
				penv = fenv.read().decode('utf-8', 'surrogateescape')
		except OSError as err:
			raise _CliError('cannot read $PARALLEL_ENV {!r}: {}'.format(penv, err.strerror or err)) from None
	ns.penv = penv.replace('\001', '\n')


def _cliFreePort():
	"""A TCP port of localhost that is free now"""
	import socket
	with socket.socket() as sock:
		sock.bind(('localhost', 0))
		return sock.getsockname()[1]


def main(argv=None):
	"""The command line: run shell commands in parallel; returns the exit status (see `mpepool --help`)

	argv: list(str)  - the arguments without the program name, sys.argv[1:] by default
	"""
	argv = sys.argv[1:] if argv is None else argv
	messages = _MESSAGES.configure()
	jobs = None
	try:
		ns = _cliParse(argv)
		if ns.help or ns.version:
			try:
				print(_cliHelp() if ns.help else 'mpepool ' + __version__, flush=True)
			except BrokenPipeError:  # `mpepool --help | head`
				pass
			return 0
		# The pool's messages: its per-job information would mix with the jobs' output on stdout, so it goes
		# to stderr with --pool-messages and nowhere else; so do the warnings on the pool's own steps (its
		# termination: the run's own summary says what was stopped) and on each job it stopped (the run says
		# it as GNU parallel does: _CliRun._diagnose), tracebacks and call stacks
		_MESSAGES.configure(info='stderr' if ns.pool_messages else None, events=ns.pool_messages
			, jobs=ns.pool_messages, details=ns.pool_messages, stacks=ns.pool_messages)
		webuiapp = None
		if ns.webui:
			try:
				import mpewui
				webuiapp = mpewui.WebUiApp(host=ns.webui[0], port=ns.webui[1], name='mpepool', daemon=True)
			except (ImportError, AttributeError) as err:
				raise _CliError('--webui needs the Web UI (bottle and mpewui): {}'.format(err)) from None
			except (ValueError, TypeError) as err:  # The address refused
				raise _CliError('--webui {}'.format(err)) from None
		if ns.demo:
			return _cliDemo(ns, webuiapp)
		_cliEnvironment(ns)
		if ns.splitter:  # --pipe, --pipepart: the jobs are cut from the input as they start
			slots = _cliSlots(ns.jobs, max(len(os.sched_getaffinity(0)), 1), _WKSNUM_MAX)
			jobs = _CliBlocks(ns, slots, None if ns.dry_run else ns.tmpdir or os.environ.get('TMPDIR') or '/tmp')
			if ns.roundrobin and ns.pipe and not ns.dry_run:
				jobs = _CliRoundRobin(jobs, slots)
		else:
			jobs = _cliJobs(ns)
		if ns.resume or ns.resume_failed:
			verdicts = _cliReadJoblog(ns.joblog[0])
			jobs = [rec for rec in jobs if not (rec.seq in verdicts and (ns.resume or verdicts[rec.seq]))]
		if ns.dry_run:
			return _cliDryRun(ns, jobs)
		run = _CliRun(ns, jobs, joblog_truncate=not (ns.resume or ns.resume_failed))
		return run.execute(webuiapp)
	except _CliError as err:
		_warnmsg('mpepool: error: {}'.format(err))
		return _CLI_EUSAGE
	finally:
		if isinstance(jobs, (_CliBlocks, _CliRoundRobin)):
			jobs.close()
		_MESSAGES.restore(**messages)


if __name__ == '__main__':
	if sys.argv[1:2] == ['--agent']:  # A node agent of SlurmNodesLauncher: this file, run by its path
		sys.exit(_nodeAgent())
	# Run main() of the module imported by its name, so that mpewui and the jobs' callbacks share it with
	# us rather than a second copy (this file is also loaded as __main__ by `python -m mpepool`)
	import mpepool
	sys.exit(mpepool.main())
