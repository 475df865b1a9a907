module github.com/xbcheck/xbcheck

go 1.26.0
