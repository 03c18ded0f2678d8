// A client of the workspace realtime protocol in Go, typed by the models generated from
// docs/asyncapi.json (package models). It connects, subscribes to a project, creates a workspace and
// receives its event, then disconnects, lets another connection create a second workspace, reconnects
// and resumes with sinceSeq, receiving the event it missed. It prints what happened as one JSON line.
//
//	go run . -url ws://127.0.0.1:3001/ -project demo
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"workspace-realtime/go-client/models"
)

// Result is what the program prints.
type Result struct {
	SessionID      string   `json:"sessionId"`
	SnapshotSeq    int      `json:"snapshotSeq"`
	Created        string   `json:"created"`
	CreatedVersion int      `json:"createdVersion"`
	EventSeq       int      `json:"eventSeq"`
	EventWorkspace string   `json:"eventWorkspace"`
	MissedCreated  string   `json:"missedCreated"`
	ResumedFrom    int      `json:"resumedFrom"`
	Replayed       int      `json:"replayed"`
	ReplayedSeqs   []int    `json:"replayedSeqs"`
	ReplayedNames  []string `json:"replayedNames"`
	ResumedEpoch   string   `json:"resumedEpoch"`
}

func main() {
	url := flag.String("url", "ws://127.0.0.1:3001/", "WebSocket URL of the server")
	project := flag.String("project", "go-demo", "project id")
	timeout := flag.Duration("timeout", 30*time.Second, "how long to wait for any one frame")
	flag.Parse()
	result, err := run(*url, *project, *timeout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "go-client:", err)
		os.Exit(1)
	}
	out, _ := json.Marshal(result)
	fmt.Println(string(out))
}

func run(url, project string, timeout time.Duration) (*Result, error) {
	result := &Result{}

	// 1. Connect: the first frame is hello.
	conn, hello, err := dial(url, timeout)
	if err != nil {
		return nil, err
	}
	result.SessionID = hello.Data.SessionId

	// 2. Subscribe without sinceSeq: the ack carries a snapshot and the seq it reflects.
	if err := conn.send(models.Subscribe{ReservedType: "subscribe", Id: "s1", Data: &models.SubscribeData{ProjectId: project}}); err != nil {
		return nil, err
	}
	var snapshot models.SubscribeReplyDataSnapshot
	if _, err := conn.ack("s1", &snapshot, nil); err != nil {
		return nil, err
	}
	result.SnapshotSeq = snapshot.Seq
	epoch := snapshot.Epoch

	// 3. Create a workspace: its ack, and its event on the subscription (in either order).
	create := models.WorkspaceCreate{ReservedType: "workspace.create", Id: "c1", Data: &models.WorkspaceCreateData{
		ProjectId: project,
		Name:      "Made in Go",
		Data:      map[string]interface{}{"prompt": "a lighthouse in fog", "shots": []int{1, 2}},
	}}
	if err := conn.send(create); err != nil {
		return nil, err
	}
	var created models.WorkspaceCreateReplyData
	var event *models.WorkspaceCreated
	if _, err := conn.ack("c1", &created, func(frame envelope, raw []byte) error {
		if frame.Type != "workspace.created" {
			return nil
		}
		event = &models.WorkspaceCreated{}
		return json.Unmarshal(raw, event)
	}); err != nil {
		return nil, err
	}
	result.Created = created.Workspace.Id
	result.CreatedVersion = created.Workspace.Version
	for event == nil {
		raw, frame, err := conn.read()
		if err != nil {
			return nil, err
		}
		if frame.Type == "workspace.created" {
			event = &models.WorkspaceCreated{}
			if err := json.Unmarshal(raw, event); err != nil {
				return nil, err
			}
		}
	}
	result.EventSeq = event.Seq
	result.EventWorkspace = event.Data.Workspace.Id
	conn.close()

	// 4. While this client is away, another connection creates a second workspace.
	other, _, err := dial(url, timeout)
	if err != nil {
		return nil, err
	}
	missed := models.WorkspaceCreate{ReservedType: "workspace.create", Id: "c2", Data: &models.WorkspaceCreateData{ProjectId: project, Name: "Made while away"}}
	if err := other.send(missed); err != nil {
		return nil, err
	}
	var missedReply models.WorkspaceCreateReplyData
	if _, err := other.ack("c2", &missedReply, nil); err != nil {
		return nil, err
	}
	result.MissedCreated = missedReply.Workspace.Id
	other.close()

	// 5. Reconnect and resume from the last seq seen: the missed events come first, then the ack.
	conn, _, err = dial(url, timeout)
	if err != nil {
		return nil, err
	}
	defer conn.close()
	result.ResumedFrom = event.Seq
	resume := models.Subscribe{ReservedType: "subscribe", Id: "s2", Data: &models.SubscribeData{ProjectId: project, SinceSeq: event.Seq, Epoch: epoch}}
	if err := conn.send(resume); err != nil {
		return nil, err
	}
	var replayed models.SubscribeReplyDataReplayed
	result.ReplayedSeqs = []int{}
	result.ReplayedNames = []string{}
	if _, err := conn.ack("s2", &replayed, func(frame envelope, raw []byte) error {
		if frame.Type != "workspace.created" {
			return nil
		}
		var missedEvent models.WorkspaceCreated
		if err := json.Unmarshal(raw, &missedEvent); err != nil {
			return err
		}
		result.ReplayedSeqs = append(result.ReplayedSeqs, missedEvent.Seq)
		result.ReplayedNames = append(result.ReplayedNames, missedEvent.Data.Workspace.Name)
		return nil
	}); err != nil {
		return nil, err
	}
	result.Replayed = replayed.Replayed
	result.ResumedEpoch = replayed.Epoch
	return result, nil
}
