"""oncoseries.io"""
