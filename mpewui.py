# -*- coding: utf-8 -*-
"""Web UI of mpepool (bottle) -- written by the Web UI issue"""
