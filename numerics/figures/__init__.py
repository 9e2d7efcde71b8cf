"""Every matplotlib drawing of the toolkit: ``ax=`` (or ``fig=``) in, Axes (or Figure) out."""
