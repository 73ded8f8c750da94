"""ec112.ami"""
