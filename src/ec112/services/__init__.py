"""ec112.services"""
