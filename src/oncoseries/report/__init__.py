"""oncoseries.report"""
