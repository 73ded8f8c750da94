"""ec112.location"""
