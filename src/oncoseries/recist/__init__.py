"""oncoseries.recist"""
