"""The untrusted side of the trust boundary: only this folder is visible in the sandbox."""
