package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/gorilla/websocket"
	"workspace-realtime/go-client/models"
)

// envelope is what every frame has: its type, and the id of the request it answers.
type envelope struct {
	Type string `json:"type"`
	Id   string `json:"id"`
}

// socket is one WebSocket connection speaking JSON text frames.
type socket struct {
	conn    *websocket.Conn
	timeout time.Duration
}

// dial connects and reads the hello frame.
func dial(url string, timeout time.Duration) (*socket, *models.Hello, error) {
	dialer := websocket.Dialer{HandshakeTimeout: timeout}
	conn, _, err := dialer.Dial(url, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("connect %s: %w", url, err)
	}
	s := &socket{conn: conn, timeout: timeout}
	raw, frame, err := s.read()
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	if frame.Type != "hello" {
		conn.Close()
		return nil, nil, fmt.Errorf("expected hello, got %s", frame.Type)
	}
	var hello models.Hello
	if err := json.Unmarshal(raw, &hello); err != nil {
		conn.Close()
		return nil, nil, err
	}
	return s, &hello, nil
}

func (s *socket) send(frame any) error {
	text, err := json.Marshal(frame)
	if err != nil {
		return err
	}
	_ = s.conn.SetWriteDeadline(time.Now().Add(s.timeout))
	return s.conn.WriteMessage(websocket.TextMessage, text)
}

// read returns the next frame, raw and its envelope.
func (s *socket) read() ([]byte, envelope, error) {
	_ = s.conn.SetReadDeadline(time.Now().Add(s.timeout))
	_, raw, err := s.conn.ReadMessage()
	if err != nil {
		return nil, envelope{}, fmt.Errorf("read: %w", err)
	}
	var frame envelope
	if err := json.Unmarshal(raw, &frame); err != nil {
		return nil, envelope{}, fmt.Errorf("frame is not JSON: %w", err)
	}
	return raw, frame, nil
}

// ack reads frames until the reply to request id: its ack data is decoded into data; an error frame
// is returned as an error. Other frames before it go to other (nil: skipped).
func (s *socket) ack(id string, data any, other func(envelope, []byte) error) ([]byte, error) {
	for {
		raw, frame, err := s.read()
		if err != nil {
			return nil, err
		}
		if frame.Id == id && frame.Type == "error" {
			var failure models.ErrorFrame
			_ = json.Unmarshal(raw, &failure)
			return nil, fmt.Errorf("request %s failed: %s %s", id, failure.Code.Value(), failure.Message)
		}
		if frame.Id == id && frame.Type == "ack" {
			var reply struct {
				Data json.RawMessage `json:"data"`
			}
			if err := json.Unmarshal(raw, &reply); err != nil {
				return nil, err
			}
			return raw, json.Unmarshal(reply.Data, data)
		}
		if other != nil {
			if err := other(frame, raw); err != nil {
				return nil, err
			}
		}
	}
}

func (s *socket) close() {
	_ = s.conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""))
	_ = s.conn.Close()
}
