package apitext

// CookieNameGenerated is the cookie name of a session cookie the XBackend
// names none for.
const CookieNameGenerated = Sentence(shared7 + ": " + "Name defines the name of the cookie used for session persistence. " +
	"If not specified, a unique cookie name SHOULD be generated.")
