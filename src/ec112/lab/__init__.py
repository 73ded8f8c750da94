"""ec112.lab"""
