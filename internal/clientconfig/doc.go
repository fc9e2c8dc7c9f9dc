// Package clientconfig is the file `tagwall serve` writes at first start and
// the az-shaped CLI reads to find the server with no flags: the API
// endpoint, the CA that signed its certificate, a bearer token and the
// default subscription.
//
// The default location is $TAGWALL_CONFIG, else
// $XDG_CONFIG_HOME/tagwall/config.json, else ~/.config/tagwall/config.json.
// The file holds a credential: Save writes it atomically (a temp file
// renamed into place) with mode 0600, in a directory of mode 0700; Load
// of a missing file returns an error wrapping ErrNotFound.
package clientconfig
