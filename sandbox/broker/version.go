package broker

// version is the RabbitMQ version connection.start names: Options.Version,
// or Version (4.x).
func (s *Server) version() string {
	if s.opts.Version != "" {
		return s.opts.Version
	}
	return Version
}
