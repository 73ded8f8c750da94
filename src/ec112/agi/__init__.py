"""ec112.agi"""
