#!/usr/bin/env python3
# -*- coding: utf-8 -*-
"""Unit tests of mpepool (run through pytest: python -m pytest -q mpetests.py)"""
import unittest

# === CPU topology and affinity (affinity issue) ========================================================
# Topology read from fake sysfs trees (generated into temporary directories from compact descriptions)
# and from this machine; AffinityMask groups checked against explicit tables (SPEC §4.4 where the
# original is right, node-local groups where it is not).
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree

import mpepool
from mpepool import AffinityMask, CpuTopology, cpucorethreads, cpunodes, cpusequential


def seqCores(nodes, cores, threads):
	"""Cores of a sequentially enumerated machine: [(node, (cpu, ...)), ...], a core's threads adjacent"""
	return [(n, tuple((n * cores + k) * threads + t for t in range(threads)))
		for n in range(nodes) for k in range(cores)]


def crossCores(nodes, cores, threads):
	"""Cores of a cross-node enumerated machine: first threads alternate over the nodes, siblings after"""
	return [(n, tuple(t * nodes * cores + k * nodes + n for t in range(threads)))
		for n in range(nodes) for k in range(cores)]


def _cpulist(cpus):
	"""A kernel-style CPU list of ints (as sysfs writes it)"""
	return mpepool._cpulistStr(cpus)


def writeSysfs(root, cores, offline=(), onlinefile=True, siblings=True, nodedirs=True, memnodes=()):
	"""Write a fake /sys/devices/system tree under root

	cores: [(node, (cpu, ...)), ...]  - the physical cores with their hardware threads
	offline: CPUs that are offline (no topology dir, online file 0, absent from the lists)
	onlinefile: write cpu/online (kernels have it; without it cpuN/online files are used)
	siblings: write core_cpus_list and thread_siblings_list (else only core_id and the package)
	nodedirs: write node/nodeN (a kernel without NUMA has none)
	memnodes: extra node ids without CPUs (memory-only nodes)
	"""
	offline = set(offline)
	allcpus = {c for _, core in cores for c in core}
	online = allcpus - offline
	cpudir = os.path.join(root, 'cpu')
	os.makedirs(cpudir)
	for name, cpus in (('possible', allcpus), ('present', allcpus)) + ((('online', online),) if onlinefile else ()):
		with open(os.path.join(cpudir, name), 'w') as fsys:
			fsys.write(_cpulist(cpus) + '\n')
	corenum = {}
	for node, core in cores:
		corenum[node] = corenum.get(node, -1) + 1
		for c in core:
			cdir = os.path.join(cpudir, 'cpu{}'.format(c))
			os.makedirs(cdir)
			if c:  # cpu0 cannot go offline and has no online file
				with open(os.path.join(cdir, 'online'), 'w') as fsys:
					fsys.write('0\n' if c in offline else '1\n')
			if c in offline:
				continue
			tdir = os.path.join(cdir, 'topology')
			os.makedirs(tdir)
			files = {'core_id': str(corenum[node]), 'physical_package_id': str(node)}
			if siblings:
				files['core_cpus_list'] = files['thread_siblings_list'] = _cpulist(set(core) - offline)
			for fname, text in files.items():
				with open(os.path.join(tdir, fname), 'w') as fsys:
					fsys.write(text + '\n')
	if nodedirs:
		nodecpus = {}
		for node, core in cores:
			nodecpus.setdefault(node, set()).update(set(core) - offline)
		for node in memnodes:
			nodecpus[node] = set()
		for node, cpus in nodecpus.items():
			ndir = os.path.join(root, 'node', 'node{}'.format(node))
			os.makedirs(ndir)
			with open(os.path.join(ndir, 'cpulist'), 'w') as fsys:
				fsys.write(_cpulist(cpus) + '\n')
		with open(os.path.join(root, 'node', 'online'), 'w') as fsys:
			fsys.write(_cpulist(nodecpus) + '\n')


class FakeSysfsCase(unittest.TestCase):
	"""Builds fake sysfs trees in a temporary directory removed after the test"""

	def topology(self, cores, allowed=None, **kwargs):
		"""The CpuTopology read from a fake tree of the cores; all its CPUs allowed by default"""
		root = tempfile.mkdtemp(prefix='mpetests-sysfs-')
		self.addCleanup(shutil.rmtree, root)
		writeSysfs(root, cores, **kwargs)
		if allowed is None:
			allowed = {c for _, core in cores for c in core}
		topo = mpepool._cputopology(root, allowed)
		self.assertTrue(topo.sysfs, 'the fake tree must be read, not replaced by the fallback')
		return topo

	def assertCounts(self, topo, **counts):
		"""The AffinityMask class attributes of a topology"""
		self.assertEqual(mpepool._topologyCounts(topo), counts)

	def masks(self, topo, afnstep, first=True, **kwargs):
		"""The CPU list strings of all slots of an AffinityMask on a topology, checked against cpus(i)"""
		mask = AffinityMask(afnstep, first=first, topology=topo, **kwargs)
		res = [mask(i) for i in range(len(mask))]
		self.assertEqual([_cpulist(mask.cpus(i)) for i in range(len(mask))], res)
		self.assertRaises(IndexError, mask, len(mask))
		return res

	def assertNodeLocal(self, topo):
		"""For every valid afnstep: groups are disjoint, made of whole usable cores and, where a node has
		enough cores, of one node; first=True pins to the first CPU (a primary thread) of the group"""
		counts = mpepool._topologyCounts(topo)
		maxnode = max(len(cores) for cores in topo.nodes.values())
		for step in [1] + list(range(counts['CORE_THREADS'], counts['CPUS'] + 1, counts['CORE_THREADS'])):
			whole, single = AffinityMask(step, False, topology=topo), AffinityMask(step, True, topology=topo)
			self.assertEqual(len(whole), len(single))
			self.assertGreaterEqual(len(whole), 1, step)
			seen = set()
			for i in range(len(whole)):
				grp = whole.cpus(i)
				self.assertFalse(grp & seen, (step, i))
				seen |= grp
				self.assertLessEqual(len(grp), step)
				self.assertEqual(len(single.cpus(i)), 1)
				self.assertLessEqual(single.cpus(i), grp)
				cpu = min(single.cpus(i))
				if step > 1:
					self.assertTrue(all(set(topo.siblings[c]) <= grp for c in grp), (step, grp))
					self.assertEqual(topo.siblings[cpu][0], cpu, 'the first thread of a core')
					if step // counts['CORE_THREADS'] <= maxnode:
						self.assertEqual(len({topo.node[c] for c in grp}), 1, (step, grp))
						self.assertEqual(cpu, min(grp))
			self.assertLessEqual(seen, set(topo.cpus))
			if step == 1:
				self.assertEqual(seen, set(topo.cpus))


class TestCpuTopologySysfs(FakeSysfsCase):
	"""Topology read from fake sysfs trees: counts, cores, nodes, enumeration, fallbacks"""

	def test_spec_machine_cross(self):
		"""SPEC §4.4 server, cross-node: node0 = 0,2,..,14 (+16,18,..,30), node1 = 1,3,..,15 (+17,..,31)"""
		topo = self.topology(crossCores(2, 8, 2))
		self.assertCounts(topo, CPUS=32, NODES=2, CORES=16, CORE_THREADS=2, NODE_CPUS=16, SEQUENTIAL=False)
		self.assertEqual(topo.siblings[2], (2, 18))
		self.assertEqual(topo.siblings[31], (15, 31))
		self.assertEqual(topo.nodes[0][:3], ((0, 16), (2, 18), (4, 20)))
		self.assertEqual(topo.nodes[1][-1], (15, 31))
		self.assertEqual((topo.node[17], topo.node[30], topo.package[9]), (1, 0, 1))

	def test_spec_machine_sequential(self):
		"""SPEC §4.4 server, sequential: node0 = 0-15, node1 = 16-31, a core's threads adjacent"""
		topo = self.topology(seqCores(2, 8, 2))
		self.assertCounts(topo, CPUS=32, NODES=2, CORES=16, CORE_THREADS=2, NODE_CPUS=16, SEQUENTIAL=True)
		self.assertEqual(topo.siblings[17], (16, 17))
		self.assertEqual(topo.nodes[1][0], (16, 17))
		self.assertEqual(topo.cores[:2], ((0, 1), (2, 3)))

	def test_laptops(self):
		"""Single node: threads adjacent (sequential) or the siblings numbered after the cores (Intel)"""
		topo = self.topology(seqCores(1, 4, 2))
		self.assertCounts(topo, CPUS=8, NODES=1, CORES=4, CORE_THREADS=2, NODE_CPUS=8, SEQUENTIAL=True)
		topo = self.topology(crossCores(1, 4, 2))
		self.assertCounts(topo, CPUS=8, NODES=1, CORES=4, CORE_THREADS=2, NODE_CPUS=8, SEQUENTIAL=False)
		self.assertEqual(topo.siblings[5], (1, 5))
		# A kernel without NUMA (no node dirs): one node all the same
		topo = self.topology(seqCores(1, 4, 2), nodedirs=False)
		self.assertCounts(topo, CPUS=8, NODES=1, CORES=4, CORE_THREADS=2, NODE_CPUS=8, SEQUENTIAL=True)
		# No SMT
		topo = self.topology(seqCores(1, 4, 1))
		self.assertCounts(topo, CPUS=4, NODES=1, CORES=4, CORE_THREADS=1, NODE_CPUS=4, SEQUENTIAL=True)

	def test_many_nodes_and_threads(self):
		"""Multi-digit counts (the original kept the last digit only: 16 nodes -> 6)"""
		topo = self.topology(crossCores(16, 4, 2))
		self.assertCounts(topo, CPUS=128, NODES=16, CORES=64, CORE_THREADS=2, NODE_CPUS=8, SEQUENTIAL=False)
		self.assertEqual(sorted(topo.nodes), list(range(16)))
		self.assertEqual(topo.nodes[13][1], (29, 93))
		self.assertEqual(topo.node[127], 15)
		topo = self.topology(seqCores(1, 2, 12))
		self.assertCounts(topo, CPUS=24, NODES=1, CORES=2, CORE_THREADS=12, NODE_CPUS=24, SEQUENTIAL=True)
		self.assertEqual(topo.siblings[13], tuple(range(12, 24)))

	def test_offline_cpus(self):
		"""Offline CPUs are not usable; nodes become uneven (NODE_CPUS: whole cores of the smallest node)"""
		for onlinefile in (True, False):
			topo = self.topology(seqCores(2, 4, 2), offline=(3, 12, 13), onlinefile=onlinefile)
			self.assertEqual(topo.cpus, (0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 14, 15))
			self.assertCounts(topo, CPUS=13, NODES=2, CORES=7, CORE_THREADS=2, NODE_CPUS=6, SEQUENTIAL=True)
			self.assertEqual(topo.siblings[2], (2,))
			self.assertEqual(topo.nodes[1], ((8, 9), (10, 11), (14, 15)))

	def test_allowed_subset(self):
		"""A cgroup cpuset / sched_setaffinity restriction: only the allowed CPUs count"""
		# The first threads of 4 cores per node of the cross-node server: no usable siblings
		topo = self.topology(crossCores(2, 8, 2), allowed=range(8))
		self.assertEqual(topo.cpus, tuple(range(8)))
		self.assertCounts(topo, CPUS=8, NODES=2, CORES=8, CORE_THREADS=1, NODE_CPUS=4, SEQUENTIAL=False)
		# The second node only of the sequential server
		topo = self.topology(seqCores(2, 8, 2), allowed=range(16, 32))
		self.assertCounts(topo, CPUS=16, NODES=1, CORES=8, CORE_THREADS=2, NODE_CPUS=16, SEQUENTIAL=True)
		self.assertEqual(list(topo.nodes), [1])
		# Allowed CPUs that do not exist or are offline are ignored
		topo = self.topology(seqCores(1, 2, 2), allowed=(1, 2, 3, 64), offline=(3,))
		self.assertEqual(topo.cpus, (1, 2))
		self.assertEqual(topo.cores, ((1,), (2,)))

	def test_memory_nodes_and_core_ids(self):
		"""Nodes without CPUs do not count; without sibling lists cores come from (package, core_id)"""
		topo = self.topology(crossCores(2, 2, 2), memnodes=(2, 3))
		self.assertCounts(topo, CPUS=8, NODES=2, CORES=4, CORE_THREADS=2, NODE_CPUS=4, SEQUENTIAL=False)
		topo = self.topology(crossCores(2, 8, 2), siblings=False)
		self.assertCounts(topo, CPUS=32, NODES=2, CORES=16, CORE_THREADS=2, NODE_CPUS=16, SEQUENTIAL=False)
		self.assertEqual(topo.siblings[21], (5, 21))

	def test_fallback(self):
		"""Unreadable or garbled sysfs: a flat topology of the allowed CPUs, no exception, no output"""
		root = tempfile.mkdtemp(prefix='mpetests-sysfs-')
		self.addCleanup(shutil.rmtree, root)
		topo = mpepool._cputopology(os.path.join(root, 'absent'), allowed={3, 1})
		self.assertEqual(topo, CpuTopology(cpus=(1, 3), node={1: 0, 3: 0}, package={1: 0, 3: 0}
			, siblings={1: (1,), 3: (3,)}, nodes={0: ((1,), (3,))}, cores=((1,), (3,)), corethreads=1
			, sequential=True, sysfs=False))
		os.makedirs(os.path.join(root, 'cpu'))
		with open(os.path.join(root, 'cpu', 'online'), 'w') as fsys:
			fsys.write('0-x\n')
		self.assertEqual(mpepool._cputopology(root, allowed={0, 1}).cpus, (0, 1))
		self.assertFalse(mpepool._cputopology(root, allowed={0, 1}).sysfs)
		self.assertEqual(len(AffinityMask(1, topology=topo)), 2)

	def test_cpulists(self):
		"""Kernel CPU list parsing and the taskset -c formatting"""
		self.assertEqual(mpepool._parseCpulist('0-3,8,10-11\n'), {0, 1, 2, 3, 8, 10, 11})
		self.assertEqual(mpepool._parseCpulist('\n'), set())
		self.assertEqual(mpepool._cpulistStr({17, 0, 1, 2, 5, 16}), '0-2,5,16-17')
		self.assertEqual(mpepool._cpulistStr([7]), '7')


class TestAffinityMaskTables(FakeSysfsCase):
	"""AffinityMask groups on fake machines, written out: the SPEC §4.4 table where the original is
	right, node-local non-overlapping groups where it is wrong (cross-node, afnstep > CORE_THREADS)"""

	def test_spec_cross_node(self):
		"""2 nodes x 8 cores x 2 threads, cross-node enumeration (sequential=False rows)"""
		topo = self.topology(crossCores(2, 8, 2))
		for first in (True, False):
			self.assertEqual(self.masks(topo, 1, first), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10'
				, '11', '12', '13', '14', '15', '16', '17', '18', '19', '20', '21', '22', '23', '24', '25', '26'
				, '27', '28', '29', '30', '31'])
		self.assertEqual(self.masks(topo, 2, True), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10'
			, '11', '12', '13', '14', '15'])
		self.assertEqual(self.masks(topo, 2, False), ['0,16', '1,17', '2,18', '3,19', '4,20', '5,21', '6,22'
			, '7,23', '8,24', '9,25', '10,26', '11,27', '12,28', '13,29', '14,30', '15,31'])
		# The original: 0-1, 1-2, 4-5, ... (overlapping, node-mixing); here 2 whole cores of one node
		self.assertEqual(self.masks(topo, 4, True), ['0', '1', '4', '5', '8', '9', '12', '13'])
		self.assertEqual(self.masks(topo, 4, False), ['0,2,16,18', '1,3,17,19', '4,6,20,22', '5,7,21,23'
			, '8,10,24,26', '9,11,25,27', '12,14,28,30', '13,15,29,31'])
		self.assertEqual(self.masks(topo, 8, False), ['0,2,4,6,16,18,20,22', '1,3,5,7,17,19,21,23'
			, '8,10,12,14,24,26,28,30', '9,11,13,15,25,27,29,31'])
		# The original: 0-7, 1-8; here a whole node each
		self.assertEqual(self.masks(topo, 16, True), ['0', '1'])
		self.assertEqual(self.masks(topo, 16, False), ['0,2,4,6,8,10,12,14,16,18,20,22,24,26,28,30'
			, '1,3,5,7,9,11,13,15,17,19,21,23,25,27,29,31'])
		# Larger than a node: whole cores of consecutive nodes
		self.assertEqual(self.masks(topo, 32, False), ['0-31'])
		self.assertEqual(self.masks(topo, 24, False), ['0-8,10,12,14,16-24,26,28,30'])
		# The enumeration flag does not change groups cut from the topology
		self.assertEqual(self.masks(topo, 4, False, sequential=True), self.masks(topo, 4, False))
		self.assertEqual(self.masks(topo, 1, sequential=None), self.masks(topo, 1, sequential=False))
		self.assertNodeLocal(topo)

	def test_spec_sequential(self):
		"""2 nodes x 8 cores x 2 threads, sequential enumeration (sequential=True rows, all right)"""
		topo = self.topology(seqCores(2, 8, 2))
		for first in (True, False):
			self.assertEqual(self.masks(topo, 1, first), ['0', '16', '2', '18', '4', '20', '6', '22', '8', '24'
				, '10', '26', '12', '28', '14', '30', '1', '17', '3', '19', '5', '21', '7', '23', '9', '25', '11'
				, '27', '13', '29', '15', '31'])
		self.assertEqual(self.masks(topo, 2, True), ['0', '16', '2', '18', '4', '20', '6', '22', '8', '24', '10'
			, '26', '12', '28', '14', '30'])
		self.assertEqual(self.masks(topo, 2, False), ['0-1', '16-17', '2-3', '18-19', '4-5', '20-21', '6-7'
			, '22-23', '8-9', '24-25', '10-11', '26-27', '12-13', '28-29', '14-15', '30-31'])
		self.assertEqual(self.masks(topo, 4, True), ['0', '16', '4', '20', '8', '24', '12', '28'])
		self.assertEqual(self.masks(topo, 4, False), ['0-3', '16-19', '4-7', '20-23', '8-11', '24-27', '12-15'
			, '28-31'])
		self.assertEqual(self.masks(topo, 16, True), ['0', '16'])
		self.assertEqual(self.masks(topo, 16, False), ['0-15', '16-31'])
		self.assertEqual(self.masks(topo, 2, False, sequential=False), self.masks(topo, 2, False))
		self.assertNodeLocal(topo)

	def test_laptops(self):
		"""Single node, both enumerations (where the original was right)"""
		topo = self.topology(seqCores(1, 4, 2))
		self.assertEqual(self.masks(topo, 1), ['0', '2', '4', '6', '1', '3', '5', '7'])
		self.assertEqual(self.masks(topo, 2), ['0', '2', '4', '6'])
		self.assertEqual(self.masks(topo, 2, False), ['0-1', '2-3', '4-5', '6-7'])
		self.assertEqual(self.masks(topo, 4, False), ['0-3', '4-7'])
		self.assertEqual(self.masks(topo, 8, False), ['0-7'])
		self.assertNodeLocal(topo)
		topo = self.topology(crossCores(1, 4, 2))
		self.assertEqual(self.masks(topo, 1), ['0', '1', '2', '3', '4', '5', '6', '7'])
		self.assertEqual(self.masks(topo, 2), ['0', '1', '2', '3'])
		self.assertEqual(self.masks(topo, 2, False), ['0,4', '1,5', '2,6', '3,7'])
		self.assertEqual(self.masks(topo, 4, False), ['0-1,4-5', '2-3,6-7'])
		self.assertNodeLocal(topo)

	def test_16_nodes(self):
		"""16 nodes x 4 cores x 2 threads, cross-node: cpu = thread*64 + core*16 + node"""
		topo = self.topology(crossCores(16, 4, 2))
		self.assertEqual(self.masks(topo, 1), [str(c) for c in range(128)])
		whole = self.masks(topo, 2, False)
		self.assertEqual(whole[:3] + whole[-2:], ['0,64', '1,65', '2,66', '62,126', '63,127'])
		self.assertEqual(len(whole), 64)
		# A node per worker (NODE_CPUS = 8): slot i is node i
		nodes = self.masks(topo, AffinityMask(1, topology=topo).NODE_CPUS, False)
		self.assertEqual(nodes[0], '0,16,32,48,64,80,96,112')
		self.assertEqual(nodes[10], '10,26,42,58,74,90,106,122')
		self.assertEqual(nodes[15], '15,31,47,63,79,95,111,127')
		self.assertEqual(len(nodes), 16)
		self.assertEqual(self.masks(topo, 8), [str(n) for n in range(16)])
		self.assertEqual(self.masks(topo, 4, False)[:4], ['0,16,64,80', '1,17,65,81', '2,18,66,82'
			, '3,19,67,83'])
		self.assertNodeLocal(topo)

	def test_12_threads(self):
		"""A core with 12 hardware threads"""
		topo = self.topology(seqCores(1, 2, 12))
		self.assertEqual(self.masks(topo, 12, False), ['0-11', '12-23'])
		self.assertEqual(self.masks(topo, 12), ['0', '12'])
		self.assertEqual(self.masks(topo, 1)[:5], ['0', '12', '1', '13', '2'])
		self.assertRaises(ValueError, AffinityMask, 2, topology=topo)
		self.assertNodeLocal(topo)

	def test_offline(self):
		"""Offline 3 (a second thread) and 12-13 (a whole core) of 2 sequential nodes x 4 cores x 2 threads:
		partial cores form smaller groups, nodes too small for a group are skipped"""
		topo = self.topology(seqCores(2, 4, 2), offline=(3, 12, 13))
		self.assertEqual(self.masks(topo, 1), ['0', '8', '2', '10', '4', '14', '6', '1', '9', '11', '5', '15', '7'])
		self.assertEqual(self.masks(topo, 2), ['0', '8', '2', '10', '4', '14', '6'])
		self.assertEqual(self.masks(topo, 2, False), ['0-1', '8-9', '2', '10-11', '4-5', '14-15', '6-7'])
		self.assertEqual(self.masks(topo, 4, False), ['0-2', '8-11', '4-7'])
		self.assertEqual(self.masks(topo, 6, False), ['0-2,4-5', '8-11,14-15'])  # NODE_CPUS: a group per node
		self.assertEqual(self.masks(topo, 8, False), ['0-2,4-7'])
		self.assertEqual(self.masks(topo, 12, False), ['0-2,4-11'])
		self.assertRaises(ValueError, AffinityMask, 14, topology=topo)
		self.assertNodeLocal(topo)

	def test_allowed_subset(self):
		"""cgroup-restricted CPU sets"""
		topo = self.topology(crossCores(2, 8, 2), allowed=range(8))
		self.assertEqual(self.masks(topo, 1), ['0', '1', '2', '3', '4', '5', '6', '7'])
		self.assertEqual(self.masks(topo, 2, False), ['0,2', '1,3', '4,6', '5,7'])
		self.assertEqual(self.masks(topo, 4, False), ['0,2,4,6', '1,3,5,7'])
		self.assertNodeLocal(topo)
		topo = self.topology(seqCores(2, 8, 2), allowed=range(16, 32))
		self.assertEqual(self.masks(topo, 2), ['16', '18', '20', '22', '24', '26', '28', '30'])
		self.assertEqual(self.masks(topo, 16, False), ['16-31'])
		self.assertNodeLocal(topo)
		# Only some of the threads of a core allowed
		topo = self.topology(seqCores(1, 4, 2), allowed=(0, 1, 2, 4, 6, 7))
		self.assertEqual(self.masks(topo, 2, False), ['0-1', '2', '4', '6-7'])
		self.assertNodeLocal(topo)


class TestAffinityMaskInput(FakeSysfsCase):
	"""Bad AffinityMask arguments raise ValueError/TypeError naming the parameter and the value"""

	def assertRejected(self, exc, pname, value, *args, **kwargs):
		"""The error names the parameter and echoes the value"""
		with self.assertRaises(exc) as ctx:
			AffinityMask(*args, **kwargs)
		self.assertIn(pname, str(ctx.exception))
		self.assertIn(repr(value), str(ctx.exception))

	def test_bad_input(self):
		topo = self.topology(seqCores(1, 4, 2))
		self.assertRejected(ValueError, 'afnstep', 3, 3, topology=topo)  # 3 on a 2-thread machine
		self.assertRejected(ValueError, 'afnstep', -2, -2, topology=topo)
		self.assertRejected(ValueError, 'afnstep', 0, 0, topology=topo)
		self.assertRejected(ValueError, 'afnstep', 2.1, 2.1, topology=topo)
		self.assertRejected(ValueError, 'afnstep', 10, 10, topology=topo)  # more than the 8 CPUs
		self.assertRejected(TypeError, 'afnstep', '2', '2', topology=topo)
		self.assertRejected(TypeError, 'afnstep', None, None, topology=topo)
		self.assertRejected(TypeError, 'afnstep', True, True, topology=topo)
		self.assertRejected(TypeError, 'first', 1, 2, 1, topology=topo)
		self.assertRejected(TypeError, 'first', None, 2, first=None, topology=topo)
		self.assertRejected(TypeError, 'sequential', 'yes', 2, sequential='yes', topology=topo)
		self.assertRejected(TypeError, 'topology', 'x', 2, topology='x')
		mask = AffinityMask(2.0, topology=topo)  # An integral float is converted
		self.assertEqual((mask.afnstep, type(mask.afnstep), len(mask)), (2, int, 4))
		self.assertRaises(IndexError, mask, -1)
		self.assertRaises(IndexError, mask.cpus, 4)
		self.assertRaises(TypeError, mask, 1.0)
		self.assertIn('afnstep=2', repr(mask))


class TestAffinityRealMachine(unittest.TestCase):
	"""This machine's topology: sysfs against lscpu and lstopo where installed, the README setups"""

	def test_topology(self):
		"""Read from sysfs, the usable CPUs are this process's, counts consistent"""
		topo = mpepool._cputopology()
		self.assertTrue(topo.sysfs)
		self.assertEqual(topo, mpepool._TOPOLOGY)
		self.assertEqual(set(topo.cpus), os.sched_getaffinity(0))
		self.assertEqual(AffinityMask.CPUS, len(os.sched_getaffinity(0)))
		self.assertEqual((cpucorethreads(), cpunodes(), cpusequential(), cpusequential(AffinityMask.NODES))
			, (AffinityMask.CORE_THREADS, AffinityMask.NODES, AffinityMask.SEQUENTIAL, AffinityMask.SEQUENTIAL))
		self.assertEqual(sum(len(core) for core in topo.cores), AffinityMask.CPUS)
		self.assertEqual(len(topo.cores), AffinityMask.CORES)
		self.assertIsInstance(AffinityMask.SEQUENTIAL, bool)

	def test_lscpu(self):
		"""Cores and nodes as `lscpu -p` reports them (an optional cross-check)"""
		if not shutil.which('lscpu'):
			self.skipTest('lscpu is not installed')
		out = subprocess.run(['lscpu', '-p=CPU,CORE,SOCKET,NODE'], stdout=subprocess.PIPE
			, universal_newlines=True, check=True, timeout=30).stdout
		topo = mpepool._TOPOLOGY
		cores = {}
		for line in out.splitlines():
			if line.startswith('#'):
				continue
			cpu, core, socket, node = line.split(',')
			cpu = int(cpu)
			if cpu in topo.cpus:
				cores.setdefault((socket, core), set()).add(cpu)
				self.assertEqual(topo.node[cpu], int(node or 0), cpu)
		self.assertEqual(sorted(map(sorted, cores.values())), sorted(map(list, topo.cores)))

	def test_lstopo(self):
		"""Cores, nodes and the enumeration as hwloc sees them (an optional cross-check)"""
		if not shutil.which('lstopo-no-graphics'):
			self.skipTest('hwloc (lstopo-no-graphics) is not installed')
		out = subprocess.run(['lstopo-no-graphics', '--no-io', '--of', 'xml'], stdout=subprocess.PIPE
			, universal_newlines=True, check=True, timeout=60).stdout
		tree = ElementTree.fromstring(out)
		topo = mpepool._TOPOLOGY
		usable = set(topo.cpus)

		def cpuset(obj):
			"""hwloc's hex cpuset '0xffffffff,0x00000003' as a set of ints"""
			bits = int(obj.get('cpuset').replace('0x', '').replace(',', ''), 16)
			return {c for c in range(bits.bit_length()) if bits >> c & 1}

		cores = [cpuset(obj) & usable for obj in tree.iter('object') if obj.get('type') == 'Core']
		self.assertEqual(sorted(map(sorted, filter(None, cores))), sorted(map(list, topo.cores)))
		nodes = {int(obj.get('os_index')): cpuset(obj) & usable for obj in tree.iter('object')
			if obj.get('type') == 'NUMANode'}
		self.assertEqual({n: cpus for n, cpus in nodes.items() if cpus}
			, {n: {c for core in cores for c in core} for n, cores in topo.nodes.items()})
		# Logical (document) order of the PUs against their OS numbers, what the original asked hwloc
		pus = [int(obj.get('os_index')) for obj in tree.iter('object') if obj.get('type') == 'PU']
		pus = [c for c in pus if c in usable]
		self.assertEqual(pus == sorted(pus), topo.sequential)

	def test_readme_setups(self):
		"""AffinityMask(CORE_THREADS): a worker per core on its first thread; AffinityMask(NODE_CPUS,
		first=False): a worker per node on all its CPUs"""
		topo = mpepool._TOPOLOGY
		mask = AffinityMask(AffinityMask.CORE_THREADS)
		self.assertEqual(len(mask), AffinityMask.CORES)
		self.assertEqual(sorted(min(mask.cpus(i)) for i in range(len(mask))), sorted(core[0] for core in topo.cores))
		mask = AffinityMask(AffinityMask.NODE_CPUS, first=False)
		self.assertEqual(len(mask), AffinityMask.NODES)
		self.assertEqual(sorted(map(sorted, (mask.cpus(i) for i in range(len(mask)))))
			, sorted(sorted(c for core in cores for c in core) for cores in topo.nodes.values()))
		mask = AffinityMask(1)
		self.assertEqual(sorted(int(mask(i)) for i in range(len(mask))), list(topo.cpus))

	def test_restricted_process(self):
		"""A process allowed a single CPU sees exactly that CPU at import"""
		cpu = max(os.sched_getaffinity(0))
		code = ('import os, sys; os.sched_setaffinity(0, {{{}}}); sys.path.insert(0, {!r}); import mpepool as m;'
			' a = m.AffinityMask; print(a.CPUS, a.NODES, a.CORES, a.CORE_THREADS, a(1)(0), len(a(1)))'
			.format(cpu, os.path.dirname(os.path.abspath(mpepool.__file__))))
		res = subprocess.run([sys.executable, '-c', code], stdout=subprocess.PIPE, stderr=subprocess.PIPE
			, universal_newlines=True, timeout=60)
		self.assertEqual((res.stdout.split(), res.stderr), (['1', '1', '1', '1', str(cpu), '1'], ''))

	def test_import_quiet(self):
		"""Importing runs no external program and prints nothing"""
		code = 'import sys; sys.path.insert(0, {!r}); import mpepool'.format(
			os.path.dirname(os.path.abspath(mpepool.__file__)))
		res = subprocess.run([sys.executable, '-c', code], stdout=subprocess.PIPE, stderr=subprocess.PIPE
			, universal_newlines=True, timeout=60, env=dict(os.environ, PATH='/nonexistent'))
		self.assertEqual((res.returncode, res.stdout, res.stderr), (0, '', ''))


# Pool integration: a job, its restarts and its children run on the CPUs of the job's worker slot.
# (Self-contained helpers: this block does not depend on the shared ones at the top of the file.)
import contextlib
import io
import time

from mpepool import ExecPool, Job

# A job that appends 'job|child <Cpus_allowed_list> <pid>' lines for itself and for a child it forks to the
# report file argv[1], then sleeps argv[2] seconds
_AFNREPORT = '\n'.join((
	'import os, sys, time',
	'def allowed():',
	'	with open("/proc/self/status") as fst:',
	'		return [ln.split()[1] for ln in fst if ln.startswith("Cpus_allowed_list:")][0]',
	'pid = os.fork()',
	'if not pid:',
	'	with open(sys.argv[1], "a") as fout:',
	'		fout.write("child %s %d\\n" % (allowed(), os.getpid()))',
	'	os._exit(0)',
	'os.waitpid(pid, 0)',
	'with open(sys.argv[1], "a") as fout:',
	'	fout.write("job %s %d\\n" % (allowed(), os.getpid()))',
	'time.sleep(float(sys.argv[2]))',
	''))


def _afnWaitUntil(pred, timeout):
	"""Wait until pred() is truthy, at most timeout seconds; return its last value"""
	deadline = time.perf_counter() + timeout
	while True:
		res = pred()
		if res or time.perf_counter() >= deadline:
			return res
		time.sleep(0.02)


def _procAllowed(pid):
	"""Cpus_allowed_list of a running process, None when it is gone (or a zombie)"""
	try:
		with open('/proc/{}/status'.format(pid)) as fst:
			status = fst.read()
	except OSError:
		return None
	if '\nState:\tZ' in status:
		return None
	return [ln.split()[1] for ln in status.splitlines() if ln.startswith('Cpus_allowed_list:')][0]


class TestPoolAffinity(unittest.TestCase):
	"""ExecPool pins each job to its worker slot's CPU group before the program starts"""

	def setUp(self):
		self.tmpdir = tempfile.mkdtemp(prefix='mpetests-afn-')
		self.addCleanup(shutil.rmtree, self.tmpdir)
		self.pools = []
		self.pids = set()
		self.affinity = os.sched_getaffinity(0)

	def tearDown(self):
		for pool in self.pools:
			pool.terminate()
		left = _afnWaitUntil(lambda: not [pid for pid in self.pids if _procAllowed(pid)], 10)
		self.assertTrue(left, 'processes left: {}'.format([pid for pid in self.pids if _procAllowed(pid)]))
		# The pool pins its own thread only around a spawn
		self.assertEqual(os.sched_getaffinity(0), self.affinity)

	def newPool(self, *args, **kwargs):
		"""A pool terminated at the end of the test"""
		pool = ExecPool(*args, **kwargs)
		self.pools.append(pool)
		return pool

	def reportJob(self, name, sleep=0., **kwargs):
		"""A job reporting its own and its child's allowed CPUs into a file; returns (job, report path)"""
		report = os.path.join(self.tmpdir, name)
		job = Job(name, args=(sys.executable, '-c', _AFNREPORT, report, str(sleep)), stdout=subprocess.DEVNULL
			, **kwargs)
		return job, report

	def started(self, pool, job):
		"""Execute a job; remember its pid for the leak check"""
		self.assertEqual(pool.execute(job), 0)
		if job.proc is not None:
			self.pids.add(job.proc.pid)

	@staticmethod
	def report(path, runs=1):
		"""The (who, cpus, pid) lines of a report once it holds runs 'job' lines, [] before"""
		try:
			with open(path) as frep:
				lines = [(who, cpus, int(pid)) for who, cpus, pid in map(str.split, frep.read().splitlines())]
		except OSError:
			return []
		return lines if sum(ln[0] == 'job' for ln in lines) >= runs else []

	def test_slots(self):
		"""Every slot of the README masks pins its job and the job's child to the slot's CPUs"""
		for mask in (AffinityMask(1), AffinityMask(AffinityMask.CORE_THREADS)
		, AffinityMask(AffinityMask.NODE_CPUS, first=False)):
			pool = self.newPool(len(mask), mask)
			jobs = []
			for i in range(len(mask)):
				job, report = self.reportJob('slot{}-{}'.format(len(self.pools), i), 30)
				args = job.args
				self.started(pool, job)
				jobs.append((job, report, args))
			self.assertEqual(sorted(job.wslot for job, _, _ in jobs), list(range(len(mask))))
			for job, report, args in jobs:
				lines = _afnWaitUntil(lambda: self.report(report), 20)
				self.assertEqual(sorted(ln[:2] for ln in lines), [('child', mask(job.wslot)), ('job', mask(job.wslot))]
					, mask)
				self.pids.update(ln[2] for ln in lines)
				self.assertEqual(_procAllowed(job.proc.pid), mask(job.wslot))  # Seen from outside too
				self.assertIs(job.args, args)  # No taskset prefix
			pool.terminate()
			self.assertFalse(pool.join())

	def test_restart_on_timeout(self):
		"""A job restarted on timeout (rsrtonto) is pinned to its slot again, args untouched"""
		mask = AffinityMask(1)
		pool = self.newPool(min(2, len(mask)), mask)
		if len(mask) > 1:  # Another job in slot 0, so that the restarting one runs elsewhere
			other, _ = self.reportJob('other', 30)
			self.started(pool, other)
		def onstart(job):
			# Called before every run: stop once two runs reported (the event loop runs in join())
			if self.report(report, 2):
				pool.terminate()

		job, report = self.reportJob('restarting', 30, timeout=0.5, rsrtonto=True, onstart=onstart)
		args = job.args
		self.started(pool, job)
		self.assertFalse(pool.join(30))
		lines = self.report(report, 2)
		self.assertTrue(lines, 'the job did not restart')
		self.assertEqual({ln[:2] for ln in lines}, {('job', mask(job.wslot)), ('child', mask(job.wslot))})
		runs = [ln[2] for ln in lines if ln[0] == 'job']
		self.assertEqual(len(set(runs)), len(runs))  # Distinct processes: really restarted
		self.pids.update(ln[2] for ln in lines)
		self.assertIs(job.args, args)
		self.assertEqual(job.reason, 'pool termination')

	def test_omitafn_and_spawn_failure(self):
		"""omitafn jobs keep the pool's CPUs; a failed spawn restores the pool thread and frees the slot"""
		mask = AffinityMask(1)
		pool = self.newPool(1, mask)
		free, freerep = self.reportJob('free', omitafn=True)
		self.started(pool, free)
		self.assertTrue(pool.join(30))
		self.assertEqual({ln[:2] for ln in self.report(freerep)}
			, {('job', mpepool._cpulistStr(self.affinity)), ('child', mpepool._cpulistStr(self.affinity))})
		missing = Job('missing', args=(os.path.join(self.tmpdir, 'absent', 'program'),))
		pool.execute(missing)
		self.assertEqual((missing.proc, missing.reason), (None, 'start failure'))
		self.assertEqual(os.sched_getaffinity(0), self.affinity)
		pinned, pinrep = self.reportJob('pinned')
		self.started(pool, pinned)
		self.assertTrue(pool.join(30))  # All finished (one of them failed)
		self.assertEqual(pinned.wslot, 0)
		self.assertEqual({ln[:2] for ln in self.report(pinrep)}, {('job', mask(0)), ('child', mask(0))})

	def test_readme_pool(self):
		"""The seed README's ExecPool(max(cpu_count() - 1, 1), cpucorethreads()): an int affinity step"""
		from multiprocessing import cpu_count
		pool = self.newPool(max(cpu_count() - 1, 1), cpucorethreads())
		mask = pool._afnmask
		self.assertIsInstance(mask, AffinityMask)
		self.assertEqual((mask.afnstep, mask.first), (cpucorethreads(), True))
		self.assertEqual(pool._wkslim, min(max(cpu_count() - 1, 1), AffinityMask.CORES))
		jobs = [self.reportJob('readme{}'.format(i)) for i in range(pool._wkslim + 1)]
		for job, _ in jobs:
			self.started(pool, job)
		self.assertTrue(pool.join(30))
		for job, report in jobs:
			cpu = mask(job.wslot)
			self.assertIn(int(cpu), [core[0] for core in mpepool._TOPOLOGY.cores])  # A core's first thread
			self.assertEqual({ln[:2] for ln in self.report(report)}, {('job', cpu), ('child', cpu)})

	def test_wksnum_reduced(self):
		"""More slots than CPU groups: reduced with a warning; bad masks raise naming the parameter"""
		mask = AffinityMask(1)
		err = io.StringIO()
		with contextlib.redirect_stderr(err):
			pool = self.newPool(len(mask) + 3, mask)
		self.assertEqual(pool._wkslim, len(mask))
		self.assertIn('reduced', err.getvalue())
		jobs = [self.reportJob('many{}'.format(i), 0.2) for i in range(len(mask) + 2)]
		for job, _ in jobs:
			self.started(pool, job)
		self.assertTrue(pool.join(30))
		self.assertEqual(pool.jobsdone, len(jobs))
		for job, report in jobs:
			self.assertEqual({ln[:2] for ln in self.report(report)}, {('job', mask(job.wslot)), ('child', mask(job.wslot))})
		with self.assertRaisesRegex(TypeError, 'afnmask'):
			ExecPool(1, 'x')
		with self.assertRaisesRegex(ValueError, 'afnstep.*0'):
			ExecPool(1, 0)
		with self.assertRaisesRegex(ValueError, 'afnstep.*{}'.format(AffinityMask.CPUS + 1)):
			ExecPool(1, AffinityMask.CPUS + 1)
