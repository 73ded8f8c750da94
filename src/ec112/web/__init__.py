"""ec112.web"""
