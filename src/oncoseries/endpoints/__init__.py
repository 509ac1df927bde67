"""oncoseries.endpoints"""
